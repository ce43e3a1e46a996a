// GRUB's zero page, command-line buffer and DLME image for a Linux DLME.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "crypto/digest.hpp"
#include "image/boot_params.hpp"
#include "image/errors.hpp"
#include "synthetic_bzimage.hpp"

using namespace drtm::image;
using drtm::binary::to_hex;
using drtm::crypto::HashAlg;
using image_test::make_synthetic_bzimage;
using image_test::SyntheticKernel;

namespace {

std::uint64_t le(const Bytes& b, std::size_t off, int width) {
    std::uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = (v << 8) | b.at(off + i);
    return v;
}

GrubBootParamsInput golden_input() {
    GrubBootParamsInput in;
    in.protected_mode_base = 0x1000000;
    in.intel_txt = true;
    in.cmd_line_ptr = 0x8B000;
    in.ramdisk_image = 0x30000000;
    in.ramdisk_size = 0x2000000;
    in.setup_data = 0x7F01008;
    in.quiet = true;
    in.e820 = {{0, 0x9FC00, 1}, {0x100000, 0x7FF00000, 1}, {0xFEC00000, 0x1400000, 2}};
    in.vga_text = VgaText{};
    in.acpi_rsdp_addr = 0xF5A20;
    return in;
}

}  // namespace

TEST(BootParams, GoldenDigestFromIndependentModel) {
    Bytes file = make_synthetic_bzimage();
    BzImage img = parse_bzimage(file);
    Bytes zp = build_grub_boot_params(file, img, golden_input());
    ASSERT_EQ(zp.size(), 4096u);
    // golden_values.py: grub_boot_params(synthetic_bzimage()).
    EXPECT_EQ(to_hex(drtm::crypto::hash(HashAlg::sha256, zp)),
              "b16a2b7ba43cf2365fe265b0d473ff04fbafa2a79771c9ccd65393cdf37f25e3");
}

TEST(BootParams, FieldsAtTheirZeroPageOffsets) {
    Bytes file = make_synthetic_bzimage();
    BzImage img = parse_bzimage(file);
    Bytes zp = build_grub_boot_params(file, img, golden_input());
    // Setup header copied from the file up to 0x202 + file[0x201] = 0x26C.
    EXPECT_EQ(zp[0x1F1], 1);
    EXPECT_EQ(le(zp, 0x202, 4), 0x53726448u);  // "HdrS"
    EXPECT_EQ(le(zp, 0x206, 2), 0x020Fu);
    EXPECT_EQ(le(zp, 0x238, 4), 2047u);        // cmdline_size
    EXPECT_EQ(le(zp, 0x268, 4), 0x40u);        // kernel_info_offset
    EXPECT_EQ(le(zp, 0x26C, 4), 0u);           // nothing past the header end
    EXPECT_EQ(le(zp, 0x1FE, 2), 0u);           // boot_flag cleared like GRUB
    EXPECT_EQ(zp[0x210], 0x72);                // type_of_loader
    EXPECT_EQ(zp[0x211], 0x01 | 0x20 | 0x80);  // LOADED_HIGH | QUIET | CAN_USE_HEAP
    EXPECT_EQ(le(zp, 0x214, 4), 0x1000000u);   // code32_start rebased
    EXPECT_EQ(le(zp, 0x218, 4), 0x30000000u);  // ramdisk_image
    EXPECT_EQ(le(zp, 0x21C, 4), 0x2000000u);   // ramdisk_size
    EXPECT_EQ(le(zp, 0x1FC, 2), 0x0100u);      // root_dev with an initrd
    EXPECT_EQ(le(zp, 0x224, 2), 0x8E00u);      // heap_end_ptr
    EXPECT_EQ(le(zp, 0x228, 4), 0x8B000u);     // cmd_line_ptr
    EXPECT_EQ(le(zp, 0x0C8, 4), 0u);           // ext_cmd_line_ptr
    EXPECT_EQ(le(zp, 0x230, 4), 0x200000u);    // kernel_alignment
    EXPECT_EQ(le(zp, 0x250, 8), 0x7F01008u);   // setup_data
    EXPECT_EQ(le(zp, 0x020, 2), 0xA33Fu);      // cl_magic
    EXPECT_EQ(le(zp, 0x022, 2), 0x1000u);      // cl_offset
    EXPECT_EQ(le(zp, 0x002, 2), 0x8000u);      // ext_mem_k
    EXPECT_EQ(le(zp, 0x1E0, 4), 0x8000u);      // alt_mem_k
    EXPECT_EQ(zp[0x1E8], 3);                   // e820_entries
    EXPECT_EQ(le(zp, 0x2D0 + 20, 8), 0x100000u);
    EXPECT_EQ(le(zp, 0x2D0 + 28, 8), 0x7FF00000u);
    EXPECT_EQ(le(zp, 0x2D0 + 56, 4), 2u);
    EXPECT_EQ(le(zp, 0x070, 8), 0xF5A20u);  // acpi_rsdp_addr
    EXPECT_EQ(zp[0x00F], 1);                // orig_video_isVGA: text
    EXPECT_EQ(zp[0x006], 3);                // mode 3
}

TEST(BootParams, HighAddressesSplitIntoExtFields) {
    Bytes file = make_synthetic_bzimage();
    BzImage img = parse_bzimage(file);
    GrubBootParamsInput in;
    in.cmd_line_ptr = 0x1'2345'6000ull;
    in.ramdisk_image = 0x2'0000'0000ull;
    in.ramdisk_size = 0x1'0000'0010ull;
    in.efi = EfiInfo{0x1'7000'0000ull, 48, 1, 0x3'0000'1000ull, 0x1800};
    Bytes zp = build_grub_boot_params(file, img, in);
    EXPECT_EQ(le(zp, 0x228, 4), 0x23456000u);
    EXPECT_EQ(le(zp, 0x0C8, 4), 1u);
    EXPECT_EQ(le(zp, 0x218, 4), 0u);
    EXPECT_EQ(le(zp, 0x0C0, 4), 2u);
    EXPECT_EQ(le(zp, 0x21C, 4), 0x10u);
    EXPECT_EQ(le(zp, 0x0C4, 4), 1u);
    EXPECT_EQ(std::string(zp.begin() + 0x1C0, zp.begin() + 0x1C4), "EL64");
    EXPECT_EQ(le(zp, 0x1C4, 4), 0x70000000u);  // efi_systab
    EXPECT_EQ(le(zp, 0x1D8, 4), 1u);           // efi_systab_hi
    EXPECT_EQ(le(zp, 0x1C8, 4), 48u);          // memdesc_size
    EXPECT_EQ(le(zp, 0x1D0, 4), 0x1000u);      // memmap
    EXPECT_EQ(le(zp, 0x1D4, 4), 0x1800u);      // memmap_size
    EXPECT_EQ(le(zp, 0x1DC, 4), 3u);           // memmap_hi
    // Not under TXT: alignment stays the kernel's own.
    EXPECT_EQ(le(zp, 0x230, 4), 0x200000u);
    EXPECT_EQ(zp[0x211], 0x81);
}

TEST(BootParams, KernelAlignmentRule) {
    SyntheticKernel k;
    k.kernel_alignment = 0x1000;
    Bytes file = make_synthetic_bzimage(k);
    BzImage img = parse_bzimage(file);
    GrubBootParamsInput in;
    EXPECT_EQ(le(build_grub_boot_params(file, img, in), 0x230, 4), 0x1000u);
    in.intel_txt = true;  // raised to the 2 MiB PMR alignment
    EXPECT_EQ(le(build_grub_boot_params(file, img, in), 0x230, 4), 0x200000u);
    in.kernel_alignment = 0x400000;
    EXPECT_EQ(le(build_grub_boot_params(file, img, in), 0x230, 4), 0x400000u);
    k.kernel_alignment = 0x3000;  // not a power of two: GRUB uses align 0
    file = make_synthetic_bzimage(k);
    img = parse_bzimage(file);
    EXPECT_EQ(le(build_grub_boot_params(file, img, {}), 0x230, 4), 1u);
}

TEST(BootParams, TooManyE820EntriesIsABuildError) {
    Bytes file = make_synthetic_bzimage();
    BzImage img = parse_bzimage(file);
    GrubBootParamsInput in;
    in.e820.resize(129);
    EXPECT_THROW(build_grub_boot_params(file, img, in), BuildError);
}

TEST(CmdlineBuffer, SizedFromTheHeaderAndNulPadded) {
    Bytes file = make_synthetic_bzimage();
    BzImage img = parse_bzimage(file);
    Bytes buf = grub_cmdline_buffer("BOOT_IMAGE=/vmlinuz root=/dev/sda1", img);
    ASSERT_EQ(buf.size(), 2048u);  // cmdline_size + 1
    EXPECT_EQ(std::string(buf.begin(), buf.begin() + 34), "BOOT_IMAGE=/vmlinuz root=/dev/sda1");
    EXPECT_TRUE(std::all_of(buf.begin() + 34, buf.end(), [](auto c) { return c == 0; }));
    EXPECT_THROW(grub_cmdline_buffer(std::string(2048, 'x'), img), BuildError);
    EXPECT_NO_THROW(grub_cmdline_buffer(std::string(2047, 'x'), img));
}

TEST(SetupData, NodeLayout) {
    Bytes payload = {1, 2, 3};
    Bytes node = encode_setup_data(0x1122334455667788ull, 10, payload);
    ASSERT_EQ(node.size(), 19u);
    EXPECT_EQ(le(node, 0, 8), 0x1122334455667788ull);
    EXPECT_EQ(le(node, 8, 4), 10u);
    EXPECT_EQ(le(node, 12, 4), 3u);
    EXPECT_EQ(node[16], 1);
}

TEST(LoadedKernel, SizeAndZeroFill) {
    Bytes file = make_synthetic_bzimage();
    BzImage img = parse_bzimage(file);
    EXPECT_EQ(grub_protected_mode_size(img, false), 0x3000u);   // init_size, page aligned
    EXPECT_EQ(grub_protected_mode_size(img, true), 0x200000u);  // 2 MiB under TXT
    SyntheticKernel old;
    old.version = 0x0209;  // before init_size: the payload size
    Bytes old_file = make_synthetic_bzimage(old);
    EXPECT_EQ(grub_protected_mode_size(parse_bzimage(old_file), false), 0x1000u);

    Bytes dlme = grub_loaded_kernel(file, img, 0x3000);
    ASSERT_EQ(dlme.size(), 0x3000u);
    EXPECT_TRUE(std::equal(dlme.begin(), dlme.begin() + 0x1000, file.begin() + 1024));
    EXPECT_TRUE(std::all_of(dlme.begin() + 0x1000, dlme.end(), [](auto c) { return c == 0; }));
    EXPECT_THROW(grub_loaded_kernel(file, img, 0xFFF), BuildError);
}

TEST(BootParams, DebianKernelWhenPresent) {
    std::filesystem::path path = std::filesystem::path(DRTM_ARTIFACTS_DIR) / "vmlinuz";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not downloaded";
    Bytes file = drtm::binary::read_file(path);
    BzImage img = parse_bzimage(file);
    GrubBootParamsInput in = golden_input();
    Bytes zp = build_grub_boot_params(file, img, in);
    ASSERT_EQ(zp.size(), 4096u);
    // Header bytes GRUB leaves alone are the file's, up to 0x202 + file[0x201].
    for (std::size_t off : {0x1F1u, 0x1F4u, 0x202u, 0x206u, 0x234u, 0x236u, 0x238u, 0x260u, 0x268u})
        EXPECT_EQ(zp[off], file[off]) << off;
    EXPECT_EQ(le(zp, 0x214, 4), 0x1000000u);  // code32_start 0x100000 rebased
    EXPECT_EQ(grub_protected_mode_size(img, true) % 0x200000, 0u);
    EXPECT_GE(grub_protected_mode_size(img, false), img.payload_size);
    EXPECT_EQ(grub_cmdline_buffer("BOOT_IMAGE=/vmlinuz", img).size(),
              std::size_t{img.header.cmdline_size} + 1);
}
