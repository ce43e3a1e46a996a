// The page-table walk on hand-built x86-64 tables in a RAM file (entries as
// the SDM lays them out: present bit 0, PS bit 7, address bits 51:12).
#include "inspect/guest_page_tables.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "support/guest_ram_image.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kVa = 0xffffffff81000000ull;  // PML4 511, PDPT 510, PD 8

class PageTables : public ::testing::Test {
  protected:
    void SetUp() override {
        auto put = [&](std::uint64_t at, std::uint64_t v) { image_.put(at, v); };
        put(0x1000 + 8 * 511, 0x2000 | 0x3);      // PML4[511] → PDPT
        put(0x2000 + 8 * 510, 0x3000 | 0x3);      // PDPT[510] → PD
        put(0x3000 + 8 * 8, 0x200000 | 0x83);     // PD[8]: 2 MiB page at 2 MiB
        put(0x3000 + 8 * 9, 0x4000 | 0x3);        // PD[9] → PT
        put(0x4000 + 8 * 0, 0x5000 | 0x3);        // PT[0]: 4 KiB page at 0x5000
        put(0x4000 + 8 * 1, 0x7000 | 0x3);        // PT[1]: not contiguous with it
        put(0x4000 + 8 * 2, 0x800000000ull | 3);  // PT[2]: beyond the guest's RAM
        // A second hierarchy (a decoy's): PML4 0x8000 → PDPT 0x9000 → PD
        // 0xa000, whose PD[8] maps the same 2 MiB of VA onto physical 0.
        put(0x8000 + 8 * 511, 0x9000 | 0x3);
        put(0x9000 + 8 * 510, 0xa000 | 0x3);
        put(0xa000 + 8 * 8, 0x0 | 0x83);
        // 0x6000 stays empty: a top-level table mapping no guest kernel
        // (Xen's own, in a PV guest's vCPU).
        ram_ = &image_.memory();
    }
    testsupport::GuestRamImage image_{4 << 20};
    const inspect::GuestMemory* ram_ = nullptr;
};

}  // namespace

TEST_F(PageTables, WalksLargeAndSmallPages) {
    auto big = inspect::translate(*ram_, 0x1000, kVa + 0x1234);
    ASSERT_TRUE(big);
    EXPECT_EQ(big->physical, 0x201234u);
    EXPECT_EQ(big->page_size, 2u << 20);
    auto small = inspect::translate(*ram_, 0x1000 | 0x5 /* PCID bits */, kVa + 0x200010);
    ASSERT_TRUE(small);
    EXPECT_EQ(small->physical, 0x5010u);
    EXPECT_EQ(small->page_size, 4096u);
    EXPECT_FALSE(inspect::translate(*ram_, 0x1000, 0xffffffff00000000ull));  // no PDPT entry
    EXPECT_FALSE(inspect::translate(*ram_, 0x1000, kVa + 0x203000));         // no PT entry
}

TEST_F(PageTables, MappingMustBeContiguousOntoTheCopy) {
    EXPECT_EQ(inspect::check_mapping(*ram_, 0x1000, kVa, 0x200000, 2 << 20), "");
    const auto problem = inspect::check_mapping(*ram_, 0x1000, kVa, 0x200000, (2 << 20) + 4096);
    EXPECT_NE(problem.find("maps to physical 0x5000"), std::string::npos) << problem;
    EXPECT_NE(inspect::check_mapping(*ram_, 0x1000, kVa, 0x400000, 4096), "");  // a decoy elsewhere
    EXPECT_NE(
        inspect::check_mapping(*ram_, 0x1000, kVa + 0x203000, 0x9000, 4096).find("not mapped"),
        std::string::npos);
}

// A Xen PV guest: the kernel's own table must map the copy; a vCPU whose
// table maps no kernel (Xen's) is skipped, one that maps it elsewhere is not.
TEST_F(PageTables, PvGuestKernelTablesAndTheVcpusRunningIt) {
    const inspect::MappedRange text[] = {{kVa, 0x200000, 2 << 20}};
    auto own = inspect::check_pv_guest_mappings(*ram_, 0x1000, 0x1000, text);
    EXPECT_EQ(own.problem, "");
    EXPECT_TRUE(own.vcpu_maps_kernel);
    auto xen = inspect::check_pv_guest_mappings(*ram_, 0x1000, 0x6000, text);
    EXPECT_EQ(xen.problem, "");
    EXPECT_FALSE(xen.vcpu_maps_kernel);
    const auto decoy_vcpu = inspect::check_pv_guest_mappings(*ram_, 0x1000, 0x8000, text).problem;
    EXPECT_NE(decoy_vcpu.find("the vCPU's page tables (CR3 0x8000)"), std::string::npos)
        << decoy_vcpu;
    const auto decoy_kernel = inspect::check_pv_guest_mappings(*ram_, 0x8000, 0x1000, text).problem;
    EXPECT_NE(decoy_kernel.find("init_top_pgt (CR3 0x8000)"), std::string::npos) << decoy_kernel;
    const auto none = inspect::check_pv_guest_mappings(*ram_, 0x6000, 0x6000, text).problem;
    EXPECT_NE(none.find("not mapped"), std::string::npos) << none;
}

// Tables that leave the first page unmapped and map the next elsewhere
// are a vCPU running the kernel, not Xen's: checked, and refused.
TEST_F(PageTables, APvVcpuMappingAnyPageOfTheKernelIsChecked) {
    // PML4 0xb000 → PDPT 0xc000 → PD 0xd000, PD[8] → PT 0xe000 with PT[0]
    // empty and PT[1] → 0x9000: kVa's first page unmapped, its second
    // page somewhere else than the copy's.
    auto put = [&](std::uint64_t at, std::uint64_t v) {
        image_.put(at, v);
        ram_ = &image_.memory();
    };
    put(0xb000 + 8 * 511, 0xc000 | 0x3);
    put(0xc000 + 8 * 510, 0xd000 | 0x3);
    put(0xd000 + 8 * 8, 0xe000 | 0x3);
    put(0xe000 + 8 * 1, 0x9000 | 0x3);
    const inspect::MappedRange text[] = {{kVa, 0x200000, 2 << 20}};
    const auto r = inspect::check_pv_guest_mappings(*ram_, 0x1000, 0xb000, text);
    EXPECT_TRUE(r.vcpu_maps_kernel);
    EXPECT_NE(r.problem.find("the vCPU's page tables (CR3 0xb000)"), std::string::npos)
        << r.problem;
}

// The other top-level tables of a PV guest (Xen's list of them): one that
// shares the kernel's slot (the accessed bit aside), or maps none of the
// kernel (a user-mode table), passes; one mapping any page elsewhere, or
// lying outside RAM, is named.
TEST_F(PageTables, APvGuestsOtherRootTablesShareTheKernelsOrMapNoneOfIt) {
    auto put = [&](std::uint64_t at, std::uint64_t v) {
        image_.put(at, v);
        ram_ = &image_.memory();
    };
    put(0xf000 + 8 * 511, 0x2000 | 0x3 | 0x20);  // the kernel's PDPT, accessed bit set
    put(0xf000 + 8 * 0, 0x9000 | 0x3);           // and some user mapping in slot 0
    const inspect::MappedRange text[] = {{kVa, 0x200000, 2 << 20}};
    EXPECT_EQ(inspect::check_pv_root_table(*ram_, 0x1000, 0xf000, text, "dom0's"), "");
    EXPECT_EQ(inspect::check_pv_root_table(*ram_, 0x1000, 0x6000, text, "dom0's"), "");
    const auto decoy = inspect::check_pv_root_table(*ram_, 0x1000, 0x8000, text, "dom0's");
    EXPECT_EQ(decoy,
              "dom0's (at 0x8000): 0xffffffff81000000 maps to physical 0x0, not to the inspected "
              "copy at 0x200000");
    // First page unmapped, the second mapped elsewhere: not a table that
    // maps none of the kernel.
    put(0xb000 + 8 * 511, 0xc000 | 0x3);
    put(0xc000 + 8 * 510, 0xd000 | 0x3);
    put(0xd000 + 8 * 8, 0xe000 | 0x3);
    put(0xe000 + 8 * 1, 0x9000 | 0x3);
    EXPECT_EQ(inspect::check_pv_root_table(*ram_, 0x1000, 0xb000, text, "dom0's"),
              "dom0's (at 0xb000): 0xffffffff81000000 is not mapped");
    EXPECT_EQ(inspect::check_pv_root_table(*ram_, 0x1000, 0x800000000ull, text, "dom0's"),
              "dom0's (at 0x800000000) lies outside the guest RAM the inspector reads");
}

// A table a vCPU enters the kernel on may not map none of it.
TEST_F(PageTables, APvKernelTableMustMapTheKernel) {
    const inspect::MappedRange text[] = {{kVa, 0x200000, 2 << 20}};
    EXPECT_EQ(inspect::check_pv_kernel_table(*ram_, 0x1000, 0x1000, text, "vCPU 0's"), "");
    EXPECT_EQ(inspect::check_pv_kernel_table(*ram_, 0x1000, 0x6000, text, "vCPU 0's"),
              "vCPU 0's (at 0x6000) maps no page of the kernel's code");
    EXPECT_NE(inspect::check_pv_kernel_table(*ram_, 0x1000, 0x8000, text, "vCPU 0's")
                  .find("maps to physical 0x0"),
              std::string::npos);
}
