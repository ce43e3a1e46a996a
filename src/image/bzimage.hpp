// Linux x86 bzImage: the real-mode setup header (Documentation/arch/x86/boot.rst),
// the protected-mode payload GRUB loads at dlme_base, kernel_info and the
// Secure Launch MLE header.
//
// Where the MLE header lives (TrenchBoot Linux, arch/x86/boot/compressed/
// kernel_info.S and vmlinux.lds.S; GRUB grub-sl-2.12-v11 loader/i386/linux.c):
// kernel_info sits at payload[kernel_info_offset] (protocol >= 2.15); when its
// `size` covers offset 0x10, the u32 there is mle_header_offset, an offset from
// the payload start (startup_32), which is also the MLE base. The MLE header's
// entry_point is relative to that base and becomes SLRT dlme_entry. A kernel
// without it (Debian's stock kernel: size = 0x10) has no Secure Launch entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "binary/bytes.hpp"
#include "image/mle_header.hpp"

namespace drtm::image {

inline constexpr std::size_t kSetupHeaderOffset = 0x1F1;
inline constexpr std::uint32_t kHdrSMagic = 0x53726448;  // "HdrS" at 0x202
inline constexpr std::uint16_t kBootFlag = 0xAA55;       // at 0x1FE
inline constexpr std::uint8_t kLoadflagLoadedHigh = 0x01;
inline constexpr std::uint8_t kLoadflagQuiet = 0x20;
inline constexpr std::uint8_t kLoadflagCanUseHeap = 0x80;

// struct setup_header at file offset 0x1F1. Fields beyond the header's end
// (0x202 + file[0x201]) read as 0, as the protocol says for older versions.
struct SetupHeader {
    std::uint8_t setup_sects = 0;  // as written; 0 means 4
    std::uint16_t root_flags = 0;
    std::uint32_t syssize = 0;  // protected-mode size in 16-byte units
    std::uint16_t ram_size = 0;
    std::uint16_t vid_mode = 0;
    std::uint16_t root_dev = 0;
    std::uint16_t boot_flag = 0;
    std::uint16_t jump = 0;
    std::uint32_t header = 0;
    std::uint16_t version = 0;  // boot protocol, 0x020F = 2.15
    std::uint32_t realmode_swtch = 0;
    std::uint16_t start_sys_seg = 0;
    std::uint16_t kernel_version = 0;  // offset - 0x200 of the version string
    std::uint8_t type_of_loader = 0;
    std::uint8_t loadflags = 0;
    std::uint16_t setup_move_size = 0;
    std::uint32_t code32_start = 0;
    std::uint32_t ramdisk_image = 0;
    std::uint32_t ramdisk_size = 0;
    std::uint32_t bootsect_kludge = 0;
    std::uint16_t heap_end_ptr = 0;
    std::uint8_t ext_loader_ver = 0;
    std::uint8_t ext_loader_type = 0;
    std::uint32_t cmd_line_ptr = 0;
    std::uint32_t initrd_addr_max = 0;
    std::uint32_t kernel_alignment = 0;
    std::uint8_t relocatable_kernel = 0;
    std::uint8_t min_alignment = 0;
    std::uint16_t xloadflags = 0;
    std::uint32_t cmdline_size = 0;  // protocol >= 2.06
    std::uint32_t hardware_subarch = 0;
    std::uint64_t hardware_subarch_data = 0;
    std::uint32_t payload_offset = 0;
    std::uint32_t payload_length = 0;
    std::uint64_t setup_data = 0;
    std::uint64_t pref_address = 0;
    std::uint32_t init_size = 0;
    std::uint32_t handover_offset = 0;
    std::uint32_t kernel_info_offset = 0;  // protocol >= 2.15
};

// kernel_info ("LToP"), protocol 2.15+.
struct KernelInfo {
    std::size_t file_offset = 0;
    std::uint32_t size = 0;        // fixed part
    std::uint32_t size_total = 0;  // with variable data
    std::optional<std::uint32_t> setup_type_max;
    std::optional<std::uint32_t> mle_header_offset;  // present when size > 0x10
};

struct BzImage {
    SetupHeader header;
    std::uint32_t setup_sects = 4;   // effective: header value, 0 replaced by 4
    std::size_t header_end = 0;      // 0x202 + file[0x201]
    std::size_t payload_offset = 0;  // (setup_sects + 1) * 512
    std::size_t payload_size = 0;    // file size - payload_offset
    std::string kernel_version;      // "6.1.0-... (debian-kernel@...) #1 SMP ...", may be empty
    std::optional<KernelInfo> kernel_info;
    std::optional<MleHeader> mle_header;  // offsets relative to the payload

    // SLRT dlme_entry as GRUB fills it: the MLE header entry point, 0 without one.
    std::uint32_t dlme_entry() const { return mle_header ? mle_header->entry_point : 0; }
    bool secure_launch_capable() const { return mle_header.has_value(); }
};

// Validates what GRUB's `linux` command checks (boot flag 0xAA55, "HdrS",
// protocol >= 2.03, LOADED_HIGH, setup_sects <= 64, header end within the
// zero page copy) plus kernel_info and the MLE header. Throws binary::ParseError.
BzImage parse_bzimage(ByteView file);

// file[(setup_sects + 1) * 512 :]: the bytes GRUB places at dlme_base.
ByteView bzimage_payload(ByteView file, const BzImage& image);

}  // namespace drtm::image
