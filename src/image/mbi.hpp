// The Multiboot2 boot information (MBI) a loader hands a Multiboot2 kernel
// (Multiboot2 specification §3.6): u32 total_size, u32 reserved, then tags of
// u32 type, u32 size, each starting 8-aligned, ending with an END tag. Xen
// measures it whole (total_size bytes) into PCR 18 before anything else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::image {

namespace mbi_tag {
inline constexpr std::uint32_t end = 0;
inline constexpr std::uint32_t cmdline = 1;
inline constexpr std::uint32_t boot_loader_name = 2;
inline constexpr std::uint32_t module = 3;
inline constexpr std::uint32_t basic_meminfo = 4;
inline constexpr std::uint32_t bootdev = 5;
inline constexpr std::uint32_t mmap = 6;
inline constexpr std::uint32_t vbe = 7;
inline constexpr std::uint32_t framebuffer = 8;
inline constexpr std::uint32_t elf_sections = 9;
inline constexpr std::uint32_t apm = 10;
inline constexpr std::uint32_t efi32 = 11;
inline constexpr std::uint32_t efi64 = 12;
inline constexpr std::uint32_t smbios = 13;
inline constexpr std::uint32_t acpi_old = 14;
inline constexpr std::uint32_t acpi_new = 15;
inline constexpr std::uint32_t network = 16;
inline constexpr std::uint32_t efi_mmap = 17;
inline constexpr std::uint32_t efi_bs = 18;
inline constexpr std::uint32_t efi32_ih = 19;
inline constexpr std::uint32_t efi64_ih = 20;
inline constexpr std::uint32_t load_base_addr = 21;
}  // namespace mbi_tag

std::string mbi_tag_name(std::uint32_t type);

struct MbiModule {
    std::uint32_t mod_start = 0;
    std::uint32_t mod_end = 0;  // one past the last byte
    std::string cmdline;
    bool operator==(const MbiModule&) const = default;
};

struct MbiMmapEntry {
    std::uint64_t base_addr = 0;
    std::uint64_t length = 0;
    std::uint32_t type = 1;  // 1 available, 2 reserved, 3 ACPI, 4 NVS, 5 bad
    std::uint32_t reserved = 0;
    bool operator==(const MbiMmapEntry&) const = default;
};

struct MbiMeminfo {
    std::uint32_t mem_lower = 0;  // KiB
    std::uint32_t mem_upper = 0;  // KiB
    bool operator==(const MbiMeminfo&) const = default;
};

// Appends tags in call order; finish() adds END and fills total_size.
class MbiBuilder {
  public:
    MbiBuilder& cmdline(std::string_view text);           // NUL added
    MbiBuilder& boot_loader_name(std::string_view name);  // NUL added
    MbiBuilder& module(const MbiModule& module);
    MbiBuilder& basic_meminfo(const MbiMeminfo& info);
    MbiBuilder& mmap(const std::vector<MbiMmapEntry>& entries);  // entry_size 24, version 0
    MbiBuilder& load_base_addr(std::uint32_t addr);
    MbiBuilder& tag(std::uint32_t type, binary::ByteView payload);  // any other tag
    binary::Bytes finish() const;

  private:
    binary::Bytes tags_;
};

// What GRUB's grub_multiboot2_make_mbi() emits that drtm models, in GRUB's
// order: load base address (when set), command line, boot loader name,
// modules, memory map, basic meminfo, END. GRUB also adds ELF sections,
// framebuffer, ACPI and EFI tags taken from the machine; add those with
// MbiBuilder::tag() when a real MBI has to be matched.
struct GrubMbiContents {
    std::optional<std::uint32_t> load_base_addr;
    std::string cmdline;
    std::string boot_loader_name = "GRUB 2.12";  // PACKAGE_STRING
    std::vector<MbiModule> modules;
    std::vector<MbiMmapEntry> mmap;
    std::optional<MbiMeminfo> basic_meminfo;
};
binary::Bytes build_grub_mbi(const GrubMbiContents& contents);

struct MbiTag {
    std::uint32_t type = 0;
    std::uint32_t size = 0;
    std::size_t offset = 0;
    binary::Bytes data;  // after the 8-byte tag header
};

struct Mbi {
    std::uint32_t total_size = 0;
    std::uint32_t reserved = 0;
    std::vector<MbiTag> tags;  // END excluded
    std::optional<std::string> cmdline;
    std::optional<std::string> boot_loader_name;
    std::vector<MbiModule> modules;
    std::optional<MbiMeminfo> basic_meminfo;
    std::vector<MbiMmapEntry> mmap;
    std::optional<std::uint32_t> load_base_addr;
};

// Validates total_size (>= 16, within `data`), 8-aligned tags of size >= 8
// inside total_size, NUL-terminated strings, consistent mmap entry sizes, and
// a final END tag. Throws binary::ParseError.
Mbi parse_mbi(binary::ByteView data);

}  // namespace drtm::image
