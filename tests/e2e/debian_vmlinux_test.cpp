// The golden kernel of runtime inspection, from Debian's real bzImage. The
// expected values were measured independently with Python (lzma, struct)
// and binutils while planning the inspector (see docs/inspect.md): payload,
// sizes, relocation counts, build ID, PVH entry note, kallsyms layout and
// the addresses of the symbols the inspector needs.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "image/vmlinux.hpp"
#include "support/run_command.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {
const fs::path kArtifacts = DRTM_ARTIFACTS_DIR;
}

TEST(DebianVmlinux, ExtractsTheKernelElfAndItsRelocations) {
    const auto vmlinuz = kArtifacts / "vmlinuz";
    ASSERT_TRUE(fs::exists(vmlinuz)) << vmlinuz << " is missing: run scripts/fetch-artifacts.sh";
    auto file = binary::read_file(vmlinuz);
    auto v = image::extract_vmlinux(file);
    EXPECT_EQ(v.compression, "xz");
    // Any Debian 12 kernel: x86-64 KASLR-capable, PVH-bootable, with a build ID.
    auto any = image::ElfImage::parse(v.elf);
    EXPECT_EQ(any.machine(), 62);
    EXPECT_EQ(any.section(".text")->addr, 0xffffffff81000000ull);
    EXPECT_TRUE(any.build_id());
    EXPECT_NO_THROW(image::parse_x86_relocations(v.relocations));

    // Debian replaces the package when a new ABI is released; the pinned
    // values below were measured on this one, and a newer kernel must be
    // re-measured before they can be checked.
    auto package = binary::read_text_file(kArtifacts / "vmlinuz.package");
    if (package.find("linux-image-6.1.0-56-amd64") == std::string::npos)
        GTEST_SKIP() << "the pinned values are for linux-image-6.1.0-56-amd64; the artifact is "
                     << package;
    EXPECT_EQ(v.payload_size, 8122480u);
    EXPECT_EQ(v.elf.size() + v.relocations.size(), 65906612u);
    EXPECT_EQ(v.elf.size(), 65014640u);
    EXPECT_EQ(v.relocations.size(), 891972u);
    auto relocs = image::parse_x86_relocations(v.relocations);
    EXPECT_EQ(relocs.rel32.size(), 76906u);
    EXPECT_EQ(relocs.inverse32.size(), 8385u);
    EXPECT_EQ(relocs.rel64.size(), 137699u);

    auto elf = image::ElfImage::parse(v.elf);
    EXPECT_TRUE(elf.symbols().empty());  // objcopy -S
    ASSERT_TRUE(elf.build_id());
    EXPECT_EQ(binary::to_hex(*elf.build_id()), "eb4fbcd037e7253717950bf2b93bd5566f47c56f");
    const auto* text = elf.section(".text");
    ASSERT_NE(text, nullptr);
    EXPECT_EQ(text->addr, 0xffffffff81000000ull);
    EXPECT_EQ(text->size, 0xE01D32u);
    EXPECT_EQ(elf.section(".rodata")->addr, 0xffffffff82000000ull);
    // Xen ELF note 18 (XEN_ELFNOTE_PHYS32_ENTRY): the PVH entry QEMU boots
    // (an 8-byte field in this build; the entry is its low 32 bits).
    bool pvh = false;
    for (const auto& n : elf.notes())
        if (n.name == "Xen" && n.type == 18 && n.desc.size() >= 4)
            pvh = (n.desc[0] | n.desc[1] << 8 | n.desc[2] << 16 | n.desc[3] << 24) == 0x1000850;
    EXPECT_TRUE(pvh);

    // And binutils reads the extracted file the same way.
    auto out = fs::temp_directory_path() / "drtm-debian-vmlinux.elf";
    binary::write_file_atomic(out, binary::ByteView(v.elf));
    auto r = testsupport::run_command("readelf -S -W " + out.string() + " | grep ' .text '");
    fs::remove(out);
    EXPECT_NE(r.out.find("ffffffff81000000"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("e01d32"), std::string::npos) << r.out;
}

TEST(DebianVmlinux, KallsymsGiveThePatchSiteTablesWithoutSystemMap) {
    const auto vmlinuz = kArtifacts / "vmlinuz";
    ASSERT_TRUE(fs::exists(vmlinuz)) << vmlinuz << " is missing: run scripts/fetch-artifacts.sh";
    auto v = image::extract_vmlinux(binary::read_file(vmlinuz));
    auto elf = image::ElfImage::parse(v.elf);
    image::KallsymsLayout layout;
    auto symbols = image::decode_kallsyms(elf, &layout);
    // Self-consistency on any kernel: the first text symbol is the base, and
    // the text section's bounds are _text and _etext.
    const auto* text = elf.section(".text");
    EXPECT_EQ(layout.relative_base, text->addr);
    EXPECT_EQ(symbols.require("_text"), text->addr);
    EXPECT_EQ(symbols.require("_etext"), text->addr + text->size);
    EXPECT_EQ(symbols.require("__alt_instructions"), elf.section(".altinstructions")->addr);
    EXPECT_EQ(symbols.require("__parainstructions"), elf.section(".parainstructions")->addr);

    auto package = binary::read_text_file(kArtifacts / "vmlinuz.package");
    if (package.find("linux-image-6.1.0-56-amd64") == std::string::npos)
        GTEST_SKIP() << "the pinned values are for linux-image-6.1.0-56-amd64; the artifact is "
                     << package;
    // Decoded independently with Python, and runtime-inspection.md §4.3.
    EXPECT_EQ(layout.count, 94266u);
    EXPECT_EQ(layout.num_syms_at, 0xffffffff821BDAB8ull);
    EXPECT_EQ(layout.names, 0xffffffff821BDAC0ull);
    EXPECT_EQ(layout.markers, 0xffffffff822E8760ull);
    EXPECT_EQ(layout.token_table, 0xffffffff8232DDD8ull);
    EXPECT_EQ(layout.token_index, 0xffffffff8232E170ull);
    EXPECT_EQ(symbols.require("__start___jump_table"), 0xffffffff82439090ull);
    EXPECT_EQ(symbols.require("__stop___jump_table"), 0xffffffff82451A40ull);
    EXPECT_EQ(symbols.require("__start_static_call_sites"), 0xffffffff82451A40ull);
    EXPECT_EQ(symbols.require("__stop_static_call_sites"), 0xffffffff824599E8ull);
    EXPECT_EQ(symbols.require("__start_mcount_loc"), 0xffffffff83222160ull);
    EXPECT_EQ(symbols.require("__stop_mcount_loc"), 0xffffffff832713A8ull);
    EXPECT_EQ(symbols.require("__start_ro_after_init"), 0xffffffff82415730ull);
    EXPECT_EQ(symbols.require("__end_ro_after_init"), 0xffffffff82459A10ull);
    EXPECT_EQ(symbols.require("__SCT__preempt_schedule"), 0xffffffff81E00590ull);
    EXPECT_EQ(symbols.require("early_xen_iret_patch"), 0xffffffff81C01214ull);
    EXPECT_EQ(symbols.require("linux_banner"), 0xffffffff82161900ull);
    // linux_banner is the version string the running kernel prints.
    auto banner = elf.bytes_at(symbols.require("linux_banner"), 22);
    EXPECT_EQ(std::string(banner.begin(), banner.end()), "Linux version 6.1.0-56");
}
