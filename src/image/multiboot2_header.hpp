// The Multiboot2 header a kernel (Xen) embeds for its loader (Multiboot2
// specification §3.1): magic 0xE85250D6 at an 8-aligned offset within the
// first 32768 bytes, architecture, header_length, checksum, then 8-aligned
// tags ending with an END tag (type 0, size 8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::image {

inline constexpr std::uint32_t kMultiboot2HeaderMagic = 0xE85250D6;
inline constexpr std::size_t kMultiboot2Search = 32768;
inline constexpr std::uint32_t kMultiboot2ArchI386 = 0;
inline constexpr std::uint32_t kMultiboot2ArchMips32 = 4;

// Header tag types (spec §3.1.3).
namespace mb2_header_tag {
inline constexpr std::uint16_t end = 0;
inline constexpr std::uint16_t information_request = 1;
inline constexpr std::uint16_t address = 2;
inline constexpr std::uint16_t entry_address = 3;
inline constexpr std::uint16_t console_flags = 4;
inline constexpr std::uint16_t framebuffer = 5;
inline constexpr std::uint16_t module_align = 6;
inline constexpr std::uint16_t efi_bs = 7;
inline constexpr std::uint16_t entry_address_efi32 = 8;
inline constexpr std::uint16_t entry_address_efi64 = 9;
inline constexpr std::uint16_t relocatable = 10;
}  // namespace mb2_header_tag

inline constexpr std::uint16_t kMb2TagOptional = 1;  // header tag flags bit 0

struct Mb2HeaderTag {
    std::uint16_t type = 0;
    std::uint16_t flags = 0;
    std::uint32_t size = 0;
    std::size_t offset = 0;  // absolute, in the image
    binary::Bytes data;      // bytes after the 8-byte tag header
};

struct Mb2RelocatableTag {
    std::uint32_t min_addr = 0, max_addr = 0, align = 0, preference = 0;
};

struct Multiboot2Header {
    std::size_t offset = 0;
    std::uint32_t architecture = 0;
    std::uint32_t header_length = 0;
    std::uint32_t checksum = 0;
    std::vector<Mb2HeaderTag> tags;  // END excluded
    // Decoded from the tags when present.
    std::optional<std::uint32_t> entry_addr;        // tag 3
    std::optional<std::uint32_t> entry_addr_efi64;  // tag 9
    std::optional<Mb2RelocatableTag> relocatable;   // tag 10
    std::vector<std::uint32_t> requested_info;      // tag 1
};

std::string multiboot2_header_tag_name(std::uint16_t type);

// Finds and validates the header. Candidates are 8-aligned offsets holding the
// magic; the first that validates wins (GRUB skips bad candidates). When
// candidates exist but none validates, the first candidate's error is thrown
// (a bad checksum, header_length past the image or the first 32 KiB, a tag overflowing the header,
// no END tag); when none exists, "no multiboot2 header". Throws binary::ParseError.
Multiboot2Header parse_multiboot2_header(binary::ByteView image);

// Builds a header (for tests and synthetic images): magic, architecture,
// header_length, checksum, the given tags (each padded to 8), END.
binary::Bytes build_multiboot2_header(std::uint32_t architecture,
                                      const std::vector<Mb2HeaderTag>& tags);

}  // namespace drtm::image
