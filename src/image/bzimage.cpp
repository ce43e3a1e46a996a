#include "image/bzimage.hpp"
#include "binary/bytes.hpp"

#include <cstdio>
#include <string>

#include "binary/error.hpp"
#include "binary/reader.hpp"

namespace drtm::image {

namespace {

constexpr std::size_t kSectorSize = 512;
constexpr std::uint32_t kMaxSetupSects = 64;            // GRUB_LINUX_MAX_SETUP_SECTS
constexpr std::size_t kZeroPageHeaderLimit = 0x290;     // edd_mbr_sig_buffer in boot_params
constexpr std::uint32_t kKernelInfoMagic = 0x506F544C;  // "LToP"
constexpr std::size_t kMleHeaderOffsetField = 0x10;

std::string hex(std::uint64_t v) {
    return binary::hex_number(v);
}

// Reads setup_header fields at their absolute file offsets, skipping any that
// lie beyond the header end this kernel declares.
class HeaderFields {
  public:
    HeaderFields(ByteView file, std::size_t header_end) : file_(file), end_(header_end) {}

    template <class T>
    void read(T& field, std::size_t offset) {
        if (offset + sizeof(T) > end_) return;
        std::uint64_t v = 0;
        for (std::size_t i = sizeof(T); i-- > 0;) v = (v << 8) | file_[offset + i];
        field = static_cast<T>(v);
    }

  private:
    ByteView file_;
    std::size_t end_;
};

SetupHeader read_setup_header(ByteView file, std::size_t header_end) {
    SetupHeader h;
    HeaderFields f(file, header_end);
    f.read(h.setup_sects, 0x1F1);
    f.read(h.root_flags, 0x1F2);
    f.read(h.syssize, 0x1F4);
    f.read(h.ram_size, 0x1F8);
    f.read(h.vid_mode, 0x1FA);
    f.read(h.root_dev, 0x1FC);
    f.read(h.boot_flag, 0x1FE);
    f.read(h.jump, 0x200);
    f.read(h.header, 0x202);
    f.read(h.version, 0x206);
    f.read(h.realmode_swtch, 0x208);
    f.read(h.start_sys_seg, 0x20C);
    f.read(h.kernel_version, 0x20E);
    f.read(h.type_of_loader, 0x210);
    f.read(h.loadflags, 0x211);
    f.read(h.setup_move_size, 0x212);
    f.read(h.code32_start, 0x214);
    f.read(h.ramdisk_image, 0x218);
    f.read(h.ramdisk_size, 0x21C);
    f.read(h.bootsect_kludge, 0x220);
    f.read(h.heap_end_ptr, 0x224);
    f.read(h.ext_loader_ver, 0x226);
    f.read(h.ext_loader_type, 0x227);
    f.read(h.cmd_line_ptr, 0x228);
    f.read(h.initrd_addr_max, 0x22C);
    f.read(h.kernel_alignment, 0x230);
    f.read(h.relocatable_kernel, 0x234);
    f.read(h.min_alignment, 0x235);
    f.read(h.xloadflags, 0x236);
    f.read(h.cmdline_size, 0x238);
    f.read(h.hardware_subarch, 0x23C);
    f.read(h.hardware_subarch_data, 0x240);
    f.read(h.payload_offset, 0x248);
    f.read(h.payload_length, 0x24C);
    f.read(h.setup_data, 0x250);
    f.read(h.pref_address, 0x258);
    f.read(h.init_size, 0x260);
    f.read(h.handover_offset, 0x264);
    f.read(h.kernel_info_offset, 0x268);
    return h;
}

// The version string is informational only: a bad pointer yields "".
std::string read_kernel_version(ByteView file, const SetupHeader& h, std::size_t setup_end) {
    if (h.kernel_version == 0) return {};
    std::size_t pos = 0x200 + std::size_t{h.kernel_version};
    std::string out;
    while (pos < setup_end && pos < file.size() && out.size() < 256) {
        char c = static_cast<char>(file[pos++]);
        if (c == 0) return out;
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) return {};
        out += c;
    }
    return {};
}

KernelInfo read_kernel_info(ByteView payload, std::size_t payload_base, std::uint32_t offset) {
    binary::Reader r(payload, payload_base);
    if (offset > payload.size() || payload.size() - offset < 12)
        r.fail_at(std::min<std::size_t>(offset, payload.size()),
                  "kernel_info_offset " + hex(offset) + " leaves no room for kernel_info in the " +
                      hex(payload.size()) + "-byte payload");
    r.seek(offset);
    KernelInfo ki;
    ki.file_offset = payload_base + offset;
    std::uint32_t magic = r.u32le();
    if (magic != kKernelInfoMagic)
        r.fail_at(offset, "kernel_info header is " + hex(magic) + ", expected \"LToP\"");
    ki.size = r.u32le();
    ki.size_total = r.u32le();
    if (ki.size < 12 || ki.size_total < ki.size)
        r.fail_at(offset + 4, "kernel_info size " + hex(ki.size) + " / size_total " +
                                  hex(ki.size_total) + " are inconsistent");
    if (ki.size_total > payload.size() - offset)
        r.fail_at(offset + 8,
                  "kernel_info size_total " + hex(ki.size_total) + " runs past the payload");
    if (ki.size >= 16) ki.setup_type_max = r.u32le();
    // GRUB: "not slaunch kernel: lack of mle_header_offset" when size <= 0x10.
    if (ki.size > kMleHeaderOffsetField) {
        if (ki.size < kMleHeaderOffsetField + 4)
            r.fail_at(offset + 4,
                      "kernel_info size " + hex(ki.size) + " cuts mle_header_offset in half");
        ki.mle_header_offset = r.u32le();
    }
    return ki;
}

}  // namespace

BzImage parse_bzimage(ByteView file) {
    binary::Reader r(file);
    // The header's first fields up to "HdrS" and the version must be there.
    if (file.size() < 0x208)
        r.fail("truncated bzImage: " + std::to_string(file.size()) +
               " bytes, the setup header needs at least 0x208");
    BzImage img;
    img.header_end = 0x202 + std::size_t{file[0x201]};
    if (img.header_end > kZeroPageHeaderLimit)
        r.fail_at(0x201,
                  "setup header end " + hex(img.header_end) +
                      " is beyond the boot_params copy (GRUB: \"Linux setup header too big\")");
    if (img.header_end > file.size())
        r.fail_at(0x201, "setup header end " + hex(img.header_end) + " is past the file end");
    img.header = read_setup_header(file, img.header_end);
    const SetupHeader& h = img.header;
    if (h.boot_flag != kBootFlag)
        r.fail_at(0x1FE, "boot_flag is " + hex(h.boot_flag) + ", expected 0xaa55");
    if (h.header != kHdrSMagic) r.fail_at(0x202, "no \"HdrS\" signature: not a Linux bzImage");
    if (h.version < 0x0203)
        r.fail_at(0x206, "boot protocol " + hex(h.version) + " is too old for 32-bit boot");
    if (!(h.loadflags & kLoadflagLoadedHigh))
        r.fail_at(0x211, "loadflags lack LOADED_HIGH: a zImage, not a bzImage");
    if (h.setup_sects > kMaxSetupSects)
        r.fail_at(0x1F1, "setup_sects " + std::to_string(h.setup_sects) + " exceeds 64");

    img.setup_sects = h.setup_sects == 0 ? 4 : h.setup_sects;
    img.payload_offset = (std::size_t{img.setup_sects} + 1) * kSectorSize;
    if (img.payload_offset > file.size())
        r.fail_at(0x1F1, "setup of " + std::to_string(img.setup_sects) +
                             " sectors runs past the file end (" + std::to_string(file.size()) +
                             " bytes)");
    img.payload_size = file.size() - img.payload_offset;
    img.kernel_version = read_kernel_version(file, h, img.payload_offset);

    ByteView payload = bzimage_payload(file, img);
    if (h.version >= 0x020F && h.kernel_info_offset != 0) {
        img.kernel_info = read_kernel_info(payload, img.payload_offset, h.kernel_info_offset);
        if (img.kernel_info->mle_header_offset && *img.kernel_info->mle_header_offset != 0) {
            std::uint32_t mle = *img.kernel_info->mle_header_offset;
            if (mle > payload.size())
                throw binary::ParseError(
                    img.kernel_info->file_offset + kMleHeaderOffsetField,
                    "mle_header_offset " + hex(mle) + " is past the payload end");
            MleHeader m = parse_mle_header(payload, mle, img.payload_offset);
            if (m.entry_point >= payload.size())
                throw binary::ParseError(
                    img.payload_offset + mle + 0x18,
                    "MLE entry_point " + hex(m.entry_point) + " is past the payload end");
            img.mle_header = m;
        }
    }
    return img;
}

ByteView bzimage_payload(ByteView file, const BzImage& image) {
    return file.subspan(image.payload_offset);
}

}  // namespace drtm::image
