#include "image/boot_params.hpp"

#include <algorithm>
#include <string>

#include "binary/writer.hpp"
#include "image/errors.hpp"

namespace drtm::image {

namespace {

constexpr std::uint16_t kClMagic = 0xA33F;
constexpr std::uint16_t kClOffset = 0x1000;
constexpr std::uint16_t kHeapEndPtr = 0x9000 - 0x200;  // GRUB_LINUX_HEAP_END_OFFSET
constexpr std::uint32_t kFakeMemKiB = (32 * 0x100000) >> 10;
constexpr std::uint16_t kInitrdRootDev = 0x0100;
constexpr std::uint64_t kPageSize = 4096;
constexpr std::uint64_t kMleMaxSize = 0x40000000;  // GRUB_TXT_MLE_MAX_SIZE

// Setup header field offsets GRUB writes after the copy.
constexpr std::size_t kRootDev = 0x1FC;
constexpr std::size_t kBootFlagOffset = 0x1FE;
constexpr std::size_t kTypeOfLoader = 0x210;
constexpr std::size_t kLoadflags = 0x211;
constexpr std::size_t kCode32Start = 0x214;
constexpr std::size_t kRamdiskImage = 0x218;
constexpr std::size_t kRamdiskSize = 0x21C;
constexpr std::size_t kHeapEnd = 0x224;
constexpr std::size_t kCmdLinePtr = 0x228;
constexpr std::size_t kKernelAlignment = 0x230;
constexpr std::size_t kSetupData = 0x250;

class Page {
  public:
    Page() : bytes_(kBootParamsSize, 0) {}
    void u8(std::size_t off, std::uint8_t v) { bytes_.at(off) = v; }
    void u16(std::size_t off, std::uint16_t v) { put(off, v, 2); }
    void u32(std::size_t off, std::uint32_t v) { put(off, v, 4); }
    void u64(std::size_t off, std::uint64_t v) { put(off, v, 8); }
    std::uint8_t get8(std::size_t off) const { return bytes_.at(off); }
    Bytes& bytes() { return bytes_; }

  private:
    void put(std::size_t off, std::uint64_t v, int width) {
        for (int i = 0; i < width; ++i)
            bytes_.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
    }
    Bytes bytes_;
};

std::uint32_t low32(std::uint64_t v) {
    return static_cast<std::uint32_t>(v);
}
std::uint32_t high32(std::uint64_t v) {
    return static_cast<std::uint32_t>(v >> 32);
}

std::uint32_t grub_kernel_alignment(const SetupHeader& h, bool intel_txt) {
    unsigned align = 0;
    std::uint32_t a = h.kernel_alignment;
    if (h.version >= 0x0205 && a != 0 && (a & (a - 1)) == 0)
        while (!(a & (1u << align))) ++align;
    if (intel_txt) align = std::max(align, 21u);
    return 1u << align;
}

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) {
    return (v + a - 1) / a * a;
}

}  // namespace

Bytes build_grub_boot_params(ByteView file, const BzImage& image, const GrubBootParamsInput& in) {
    if (image.header_end > file.size() || image.header_end < zero_page::hdr)
        throw BuildError("boot_params: the bzImage does not match its parsed header");
    if (in.e820.size() > zero_page::e820_max_entries)
        throw BuildError("boot_params: " + std::to_string(in.e820.size()) +
                         " e820 entries, the zero page holds 128");
    if (in.efi && image.header.version < 0x0208)
        throw BuildError("boot_params: EFI info needs boot protocol 2.08");

    Page p;
    std::copy(file.begin() + zero_page::hdr, file.begin() + static_cast<long>(image.header_end),
              p.bytes().begin() + zero_page::hdr);

    const SetupHeader& h = image.header;
    // GRUB's linux_kernel_params calls 0x1FE/0x1FF padding11/ps_mouse and
    // clears them, so the copied boot_flag 0xAA55 does not survive.
    p.u8(kBootFlagOffset, 0);
    p.u8(kBootFlagOffset + 1, 0);
    p.u32(kCode32Start, low32(in.protected_mode_base + h.code32_start - kGrubBzImageAddr));
    p.u32(kKernelAlignment,
          in.kernel_alignment ? *in.kernel_alignment : grub_kernel_alignment(h, in.intel_txt));
    p.u8(kTypeOfLoader, kGrubLoaderType);
    p.u16(zero_page::cl_magic, kClMagic);
    p.u16(zero_page::cl_offset, kClOffset);
    p.u16(kHeapEnd, kHeapEndPtr);
    std::uint8_t loadflags = p.get8(kLoadflags) | kLoadflagCanUseHeap;
    if (in.quiet) loadflags |= kLoadflagQuiet;
    p.u8(kLoadflags, loadflags);
    // Linux only uses these to complain when decompression finds no room.
    p.u16(zero_page::ext_mem_k, static_cast<std::uint16_t>(kFakeMemKiB));
    p.u32(zero_page::alt_mem_k, kFakeMemKiB);
    p.u16(zero_page::orig_video_points, 16);

    if (in.ramdisk_image != 0) {
        p.u32(kRamdiskImage, low32(in.ramdisk_image));
        p.u32(kRamdiskSize, low32(in.ramdisk_size));
        p.u32(zero_page::ext_ramdisk_image, high32(in.ramdisk_image));
        p.u32(zero_page::ext_ramdisk_size, high32(in.ramdisk_size));
        p.u16(kRootDev, kInitrdRootDev);
    } else {
        p.u32(kRamdiskImage, 0);
        p.u32(kRamdiskSize, 0);
    }
    if (in.cmd_line_ptr != 0) {
        p.u32(kCmdLinePtr, low32(in.cmd_line_ptr));
        p.u32(zero_page::ext_cmd_line_ptr, high32(in.cmd_line_ptr));
    }
    if (in.setup_data != 0) p.u64(kSetupData, in.setup_data);

    p.u8(zero_page::e820_entries, static_cast<std::uint8_t>(in.e820.size()));
    for (std::size_t i = 0; i < in.e820.size(); ++i) {
        std::size_t off = zero_page::e820_table + 20 * i;
        p.u64(off, in.e820[i].addr);
        p.u64(off + 8, in.e820[i].size);
        p.u32(off + 16, in.e820[i].type);
    }
    if (in.vga_text) {
        p.u8(zero_page::orig_video_is_vga, 0x01);  // GRUB_VIDEO_LINUX_TYPE_TEXT
        p.u8(zero_page::orig_video_mode, 0x03);
        p.u8(0x000, in.vga_text->cursor_x);
        p.u8(0x001, in.vga_text->cursor_y);
        p.u8(zero_page::orig_video_cols, in.vga_text->cols);
        p.u8(zero_page::orig_video_lines, in.vga_text->lines);
    }
    if (in.efi) {
        const std::size_t e = zero_page::efi_info;
        p.u32(e + 0x00, 0x34364C45);  // "EL64"
        p.u32(e + 0x04, low32(in.efi->system_table));
        p.u32(e + 0x08, in.efi->memdesc_size);
        p.u32(e + 0x0C, in.efi->memdesc_version);
        p.u32(e + 0x10, low32(in.efi->memmap));
        p.u32(e + 0x14, in.efi->memmap_size);
        p.u32(e + 0x18, high32(in.efi->system_table));
        p.u32(e + 0x1C, high32(in.efi->memmap));
    }
    if (in.acpi_rsdp_addr != 0) p.u64(zero_page::acpi_rsdp_addr, in.acpi_rsdp_addr);
    return std::move(p.bytes());
}

Bytes grub_cmdline_buffer(std::string_view cmdline, const BzImage& image) {
    std::size_t max =
        image.header.version >= 0x0206 ? std::size_t{image.header.cmdline_size} + 1 : 256;
    max = std::max<std::size_t>(max, 128);
    if (cmdline.size() + 1 > max)
        throw BuildError("command line of " + std::to_string(cmdline.size()) +
                         " bytes does not fit the kernel's " + std::to_string(max - 1) +
                         "-byte limit");
    Bytes buf(max, 0);
    std::copy(cmdline.begin(), cmdline.end(), buf.begin());
    return buf;
}

Bytes encode_setup_data(std::uint64_t next, std::uint32_t type, ByteView payload) {
    if (payload.size() > 0xFFFFFFFFu) throw BuildError("setup_data payload larger than 4 GiB");
    binary::Writer w(16 + payload.size());
    w.u64le(next);
    w.u32le(type);
    w.u32le(static_cast<std::uint32_t>(payload.size()));
    w.bytes(payload);
    return w.take();
}

std::uint64_t grub_protected_mode_size(const BzImage& image, bool intel_txt) {
    std::uint64_t size =
        image.header.version >= 0x020A ? image.header.init_size : image.payload_size;
    if (size == 0) size = 1;
    return align_up(size, intel_txt ? kTxtPmrAlignment : kPageSize);
}

Bytes grub_loaded_kernel(ByteView file, const BzImage& image, std::uint64_t region_size) {
    if (region_size < image.payload_size)
        throw BuildError("region of " + std::to_string(region_size) +
                         " bytes is smaller than the " + std::to_string(image.payload_size) +
                         "-byte protected-mode payload");
    if (region_size > kMleMaxSize)
        throw BuildError("region of " + std::to_string(region_size) + " bytes exceeds 1 GiB");
    ByteView payload = bzimage_payload(file, image);
    Bytes out(static_cast<std::size_t>(region_size), 0);
    std::copy(payload.begin(), payload.end(), out.begin());
    return out;
}

}  // namespace drtm::image
