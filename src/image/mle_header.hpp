// The Intel TXT MLE header (TXT SDG Table 1), which a Secure Launch capable
// Linux or Xen embeds so the loader learns the DLME entry point. GRUB copies
// its entry_point into SLRT dl_info.dlme_entry on Intel and AMD alike.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "binary/bytes.hpp"

namespace drtm::image {

using binary::Bytes;
using binary::ByteView;

// uuid0..3 = 9082AC5A 74A7476F A2555C0F 42B651CB, each a little-endian u32.
inline constexpr std::array<std::uint8_t, 16> kMleHeaderUuid = {
    0x5a, 0xac, 0x82, 0x90, 0x6f, 0x47, 0xa7, 0x74, 0x0f, 0x5c, 0x55, 0xa2, 0xcb, 0x51, 0xb6, 0x42};

struct MleHeader {
    std::size_t offset = 0;         // where it starts in the image it was found in
    std::uint32_t header_len = 0;   // bytes (0x34 for version 2.1+)
    std::uint32_t version = 0;      // 0x00020002 = 2.2
    std::uint32_t entry_point = 0;  // offset from the MLE base (dlme_base)
    std::uint32_t first_valid_page = 0;
    std::uint32_t mle_start = 0;  // offset of the first MLE byte in the image
    std::uint32_t mle_end = 0;    // offset of the last MLE byte + 1
    std::uint32_t capabilities = 0;
    std::uint32_t cmdline_start = 0;  // version 2.1+, else 0
    std::uint32_t cmdline_end = 0;
};

// Parses the header at image[offset]. `base` is the absolute offset of image[0]
// in the user's file. Requires the UUID, header_len >= 0x28 inside the image,
// mle_start <= mle_end and entry_point < mle_end. Throws binary::ParseError.
MleHeader parse_mle_header(ByteView image, std::size_t offset, std::size_t base = 0);

// GRUB's search for non-Linux DLMEs (Xen): the UUID at a 16-byte aligned
// offset below `limit` (4 KiB in GRUB). nullopt when absent; a header whose
// UUID matches but whose fields are invalid throws.
std::optional<MleHeader> scan_for_mle_header(ByteView image, std::size_t limit = 0x1000,
                                             std::size_t base = 0);

}  // namespace drtm::image
