// The 4 KiB Linux zero page (struct boot_params) as GRUB's legacy `linux`
// loader builds it (TrenchBoot/grub grub-core/loader/i386/linux.c,
// grub_cmd_linux() and grub_linux_boot()), with the run-time addresses passed
// in, so a launcher and a predictor get the same "Measured boot parameters"
// bytes. Plus the other things GRUB puts in memory for a Linux DLME: the
// command-line buffer, setup_data nodes, and the loaded protected-mode image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "binary/bytes.hpp"
#include "image/bzimage.hpp"

namespace drtm::image {

inline constexpr std::size_t kBootParamsSize = 4096;
// Offsets in struct boot_params (Documentation/arch/x86/zero-page.rst).
namespace zero_page {
inline constexpr std::size_t ext_mem_k = 0x002;
inline constexpr std::size_t orig_video_mode = 0x006;
inline constexpr std::size_t orig_video_cols = 0x007;
inline constexpr std::size_t orig_video_lines = 0x00E;
inline constexpr std::size_t orig_video_is_vga = 0x00F;
inline constexpr std::size_t orig_video_points = 0x010;
inline constexpr std::size_t cl_magic = 0x020;
inline constexpr std::size_t cl_offset = 0x022;
inline constexpr std::size_t acpi_rsdp_addr = 0x070;
inline constexpr std::size_t ext_ramdisk_image = 0x0C0;
inline constexpr std::size_t ext_ramdisk_size = 0x0C4;
inline constexpr std::size_t ext_cmd_line_ptr = 0x0C8;
inline constexpr std::size_t efi_info = 0x1C0;
inline constexpr std::size_t alt_mem_k = 0x1E0;
inline constexpr std::size_t e820_entries = 0x1E8;
inline constexpr std::size_t hdr = 0x1F1;
inline constexpr std::size_t e820_table = 0x2D0;
inline constexpr std::size_t e820_max_entries = 128;
}  // namespace zero_page

inline constexpr std::uint8_t kGrubLoaderType = 0x72;  // GRUB_LINUX_BOOT_LOADER_TYPE
inline constexpr std::uint64_t kGrubBzImageAddr = 0x100000;
inline constexpr std::uint32_t kTxtPmrAlignment = 1u << 21;  // GRUB_TXT_PMR_ALIGN

struct E820Entry {
    std::uint64_t addr = 0;
    std::uint64_t size = 0;
    std::uint32_t type = 1;  // 1 = RAM, 2 = reserved, 3 = ACPI, 4 = NVS, 5 = bad
};

// GRUB on PC BIOS falls back to VGA text mode 3 when no video driver is set.
struct VgaText {
    std::uint8_t cols = 80;
    std::uint8_t lines = 25;
    std::uint8_t cursor_x = 0;
    std::uint8_t cursor_y = 0;
};

// boot_params.efi_info as GRUB fills it for protocol >= 2.08 on x86_64 EFI.
struct EfiInfo {
    std::uint64_t system_table = 0;
    std::uint32_t memdesc_size = 0;
    std::uint32_t memdesc_version = 0;
    std::uint64_t memmap = 0;
    std::uint32_t memmap_size = 0;
};

struct GrubBootParamsInput {
    // Where GRUB put file[(setup_sects+1)*512:] (dlme_base, after the TXT page
    // tables); code32_start is rebased onto it.
    std::uint64_t protected_mode_base = kGrubBzImageAddr;
    // GRUB raises the alignment to 2 MiB under TXT (PMR alignment).
    bool intel_txt = false;
    // The value GRUB finally wrote, when its allocator had to lower the alignment.
    std::optional<std::uint32_t> kernel_alignment;
    std::uint64_t cmd_line_ptr = 0;   // 0: no command line buffer
    std::uint64_t ramdisk_image = 0;  // 0: no initrd
    std::uint64_t ramdisk_size = 0;
    std::uint64_t setup_data = 0;  // head of the setup_data list (AMD: the AMD_INFO entry + 8)
    bool quiet = false;            // "quiet" on the command line sets loadflags bit 5
    std::vector<E820Entry> e820;
    std::optional<VgaText> vga_text;  // unset: no video (GRUB EFI without a framebuffer)
    std::optional<EfiInfo> efi;       // sets efi_loader_signature "EL64"
    std::uint64_t acpi_rsdp_addr = 0;
};

// Everything starts zeroed; then, in GRUB's words and order:
//  - file[0x1F1 : 0x202 + file[0x201]] copied to 0x1F1;
//  - 0x1FE/0x1FF (boot_flag) zeroed: GRUB's struct names them padding/ps_mouse;
//  - code32_start = protected_mode_base + code32_start - 0x100000;
//  - kernel_alignment = 1 << lowest set bit (2 MiB minimum under TXT);
//  - type_of_loader 0x72, cl_magic 0xA33F, cl_offset 0x1000,
//    heap_end_ptr 0x8E00, loadflags |= CAN_USE_HEAP (| QUIET);
//  - ext_mem_k = alt_mem_k = 32768, orig_video_points = 16;
//  - ramdisk_image/size (+ ext_*), root_dev = 0x0100 when an initrd is set;
//  - cmd_line_ptr (+ ext_cmd_line_ptr), setup_data, e820 table and count,
//    VGA text fields, EFI info, acpi_rsdp_addr.
// GRUB's own struct covers only 0x3FC bytes; the rest of the page is whatever
// lies in that memory, which drtm defines as zero.
Bytes build_grub_boot_params(ByteView file, const BzImage& image, const GrubBootParamsInput& in);

// The command-line buffer GRUB fills: maximal_cmdline_size = cmdline_size + 1
// (protocol >= 2.06, else 256; at least 128) bytes, the text NUL-padded. The
// Linux policy measures its first cmdline_size bytes. Throws BuildError if the
// text does not fit with its NUL.
Bytes grub_cmdline_buffer(std::string_view cmdline, const BzImage& image);

// A Linux struct setup_data node: u64 next, u32 type, u32 len, then payload.
Bytes encode_setup_data(std::uint64_t next, std::uint32_t type, ByteView payload);

// The size GRUB reserves for the protected-mode kernel and reports as
// dlme_size (slparams.mle_size): init_size (protocol >= 2.10, else the payload
// size), page aligned, or 2 MiB aligned under TXT.
std::uint64_t grub_protected_mode_size(const BzImage& image, bool intel_txt);

// The DLME bytes as they lie at dlme_base: the payload, zero-filled (GRUB
// zeroes the region for a secure launch) up to `region_size`.
Bytes grub_loaded_kernel(ByteView file, const BzImage& image, std::uint64_t region_size);

}  // namespace drtm::image
