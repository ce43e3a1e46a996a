// The bootloader half of a launch, without a TPM: the SLRT and the memory
// GRUB leaves behind, checked against the layouts of reference/formats.md.
#include "launch/emulated_grub.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "binary/reader.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/launcher.hpp"
#include "launch/memory_layout.hpp"
#include "slrt/lookup.hpp"
#include "slrt/table.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {
class EmulatedGrub : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-grub-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "vmlinuz",
                                  binary::ByteView(image_test::make_synthetic_bzimage()));
        binary::write_file_atomic(dir_ / "initrd", std::string_view("initrd bytes"));
        auto skl = image::make_test_skl();
        binary::write_file_atomic(dir_ / "skl.bin", binary::ByteView(skl));
        auto sinit = image::make_test_sinit();
        binary::write_file_atomic(dir_ / "sinit.bin", binary::ByteView(sinit));
    }
    void TearDown() override { fs::remove_all(dir_); }

    launch::LaunchRequest request(launch::Flavour f) {
        launch::LaunchRequest r;
        r.flavour = f;
        r.dce = dir_ / (f == launch::Flavour::amd ? "skl.bin" : "sinit.bin");
        r.dlme = launch::LinuxDlme{dir_ / "vmlinuz", dir_ / "initrd", "console=ttyS0"};
        return r;
    }
    fs::path dir_;
};

std::uint64_t le64(const binary::Bytes& b, std::size_t off) {
    return binary::Reader(binary::ByteView(b).subspan(off, 8)).u64le();
}
}  // namespace

TEST_F(EmulatedGrub, AmdSlrtPointsAtTheLoadedObjects) {
    auto bytes = launch::build_slrt(request(launch::Flavour::amd));
    auto table = slrt::parse(bytes);
    EXPECT_EQ(table.architecture, slrt::Architecture::amd_skinit);
    const auto* dl = slrt::find_dl_info(table);
    ASSERT_NE(dl, nullptr);
    EXPECT_EQ(dl->dce_base, launch::layout::kSlb);
    EXPECT_EQ(dl->dce_size, 0x1000u) << "AEM GRUB: the SLB's measured length";
    EXPECT_EQ(dl->dlme_base, launch::layout::kDlmeBase);
    EXPECT_EQ(dl->dlme_size, 0x3000u) << "init_size 0x3000, page aligned";
    EXPECT_EQ(dl->dlme_entry, 0x180u);
    const auto* log = slrt::find_log_info(table);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->addr, launch::layout::kEventLog);
    EXPECT_EQ(log->size, 0x8000u);

    const auto* policy = slrt::find_policy(table);
    ASSERT_NE(policy, nullptr);
    ASSERT_EQ(policy->entries.size(), 7u);
    // Slot 2 (setup_data) starts the list at the AMD_INFO entry's setup_data
    // part: the SLRT base + that entry's offset + its 8-byte header.
    const auto& setup = policy->entries[2];
    const std::size_t amd_index = table.entries.size() - 1;
    ASSERT_TRUE(std::holds_alternative<slrt::AmdInfo>(table.entries[amd_index]));
    EXPECT_EQ(setup.entity, launch::layout::kSlb + 0x1000 + table.entry_offset(amd_index) + 8);
    // Slot 3: the command line, its size the header maximum (2047), not strlen.
    EXPECT_EQ(policy->entries[3].entity, launch::layout::kCmdline);
    EXPECT_EQ(policy->entries[3].size, 2047u);
    EXPECT_EQ(policy->entries[5].pcr, 17u);
    EXPECT_EQ(policy->entries[5].size, 12u);
    EXPECT_TRUE(policy->entries[4].unused()) << "no EFI memory map on this boot";
    EXPECT_TRUE(policy->entries[6].unused()) << "no OS-MLE on AMD";
}

TEST_F(EmulatedGrub, IntelSlrtHasOsMleSlotAndIntelInfo) {
    auto table = slrt::parse(launch::build_slrt(request(launch::Flavour::intel)));
    EXPECT_EQ(table.architecture, slrt::Architecture::intel_txt);
    const auto* dl = slrt::find_dl_info(table);
    EXPECT_EQ(dl->dce_base, launch::layout::kSinit);
    EXPECT_EQ(dl->dce_size, 0x2000u) << "the ACM's module size";
    EXPECT_EQ(dl->dlme_size, 0x200000u) << "2 MiB aligned under TXT";
    const auto* info = slrt::find_intel_info(table);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->txt_heap, launch::layout::kTxtHeap);
    const auto& os_mle = slrt::find_policy(table)->entries[6];
    EXPECT_EQ(os_mle.entity, launch::layout::kTxtHeap);
    EXPECT_EQ(os_mle.size, 104u);
    EXPECT_EQ(os_mle.label(), "Measured TXT OS-MLE data");
}

TEST_F(EmulatedGrub, ZeroPagePointsAtCommandLineAndInitrd) {
    launch::DceInMemory dce;
    auto skl = image::make_test_skl();
    dce.bytes = binary::ByteView(skl).first(0x1000);
    dce.size = 0x1000;
    dce.slrt_offset = 0x1000;
    auto setup = launch::grub_boot_linux(
        launch::Flavour::amd, dce, launch::LinuxDlme{dir_ / "vmlinuz", dir_ / "initrd", "quiet"});
    auto zp = setup.memory.read(launch::layout::kZeroPage, 4096);
    binary::Bytes page(zp.begin(), zp.end());
    // boot_params offsets (Documentation/arch/x86/zero-page.rst): 0x218
    // ramdisk_image, 0x21C ramdisk_size, 0x228 cmd_line_ptr, 0x250 setup_data.
    EXPECT_EQ(binary::Reader(zp.subspan(0x218, 4)).u32le(), launch::layout::kInitrd);
    EXPECT_EQ(binary::Reader(zp.subspan(0x21C, 4)).u32le(), 12u);
    EXPECT_EQ(binary::Reader(zp.subspan(0x228, 4)).u32le(), launch::layout::kCmdline);
    EXPECT_EQ(le64(page, 0x250), launch::layout::kSlb + 0x1000 + 0x208 + 8)
        << "AMD_INFO after the 16-byte header, DL_INFO 72, LOG_INFO 24, policy 16 + 7 x 56: 0x208";
    EXPECT_EQ(page[0x210], 0x72) << "type_of_loader: GRUB";
    EXPECT_EQ(page[0x211] & 0x20, 0x20) << "'quiet' sets loadflags bit 5";
    auto cmd = setup.memory.read(launch::layout::kCmdline, 6);
    EXPECT_EQ(std::string(cmd.begin(), cmd.end()), std::string("quiet\0", 6));
}

TEST_F(EmulatedGrub, MissingKernelNamesTheFile) {
    auto r = request(launch::Flavour::amd);
    std::get<launch::LinuxDlme>(r.dlme).kernel = dir_ / "nope";
    try {
        launch::build_slrt(r);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
    }
}
