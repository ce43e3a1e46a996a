// The "Measured SLR Table" bytes of measurements.md §4 row 0.
#include <gtest/gtest.h>

#include "byte_peek.hpp"
#include "slrt/measured_slrt.hpp"

using namespace drtm::slrt;
using namespace slrt_test;

namespace {

AmdInfo sample_amd() {
    AmdInfo a;
    a.next = 0x11;
    a.slrt_size = 0xF000;
    a.slrt_base = 0x22;
    a.boot_params_base = 0x33;
    a.psp_version = 2;
    return a;
}

}  // namespace

TEST(MeasuredSlrt, AmdZeroesNextSlrtBaseAndBootParams) {
    Bytes m = measured_bytes(sample_amd());
    ASSERT_EQ(m.size(), 56u);
    EXPECT_EQ(u32(m, 0x00), 5u);  // header included
    EXPECT_EQ(u32(m, 0x04), 56u);
    EXPECT_EQ(u64(m, 0x08), 0u);       // next zeroed
    EXPECT_EQ(u32(m, 0x10), 10u);      // type kept
    EXPECT_EQ(u32(m, 0x14), 56u);      // len kept
    EXPECT_EQ(u64(m, 0x18), 0xF000u);  // slrt_size kept
    EXPECT_EQ(u64(m, 0x20), 0u);       // slrt_base zeroed
    EXPECT_EQ(u64(m, 0x28), 0u);       // boot_params_base zeroed
    EXPECT_EQ(u16(m, 0x30), 2);        // psp_version kept

    Bytes raw = measured_bytes(sample_amd(), SlrtMeasurement::as_is);
    EXPECT_EQ(u64(raw, 0x08), 0x11u);
    EXPECT_EQ(u64(raw, 0x20), 0x22u);
}

TEST(MeasuredSlrt, IntelVariantBAsIsVariantAZeroed) {
    IntelInfo b;
    b.layout = IntelInfoLayout::spec;
    b.txt_heap = 0xAB;
    b.saved_misc_enable_msr = 0xCD;
    Bytes mb = measured_bytes(b);
    ASSERT_EQ(mb.size(), 552u);
    EXPECT_EQ(u64(mb, 0x08), 0xABu);  // txt_heap kept (v11 / Xen)
    EXPECT_EQ(u64(mb, 0x10), 0xCDu);

    IntelInfo a = b;
    a.layout = IntelInfoLayout::with_boot_params;
    a.boot_params_addr = 0x99;
    Bytes ma = measured_bytes(a);
    ASSERT_EQ(ma.size(), 560u);
    EXPECT_EQ(u64(ma, 0x08), 0u);     // boot_params_addr zeroed
    EXPECT_EQ(u64(ma, 0x10), 0u);     // txt_heap zeroed
    EXPECT_EQ(u64(ma, 0x18), 0xCDu);  // misc enable kept
}

TEST(MeasuredSlrt, PicksTheEntryOfTheTableArchitecture) {
    Table t;
    t.architecture = Architecture::amd_skinit;
    t.entries = {LogInfo{}, sample_amd()};
    auto m = measured_slrt_bytes(t);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->size(), 56u);

    t.architecture = Architecture::intel_txt;  // no INTEL_INFO in it
    EXPECT_FALSE(measured_slrt_bytes(t).has_value());

    AmdInfo header_only;
    header_only.layout = AmdInfoLayout::header_only;
    t.architecture = Architecture::amd_skinit;
    t.entries = {header_only};
    EXPECT_EQ(*measured_slrt_bytes(t), (Bytes{5, 0, 0, 0, 8, 0, 0, 0}));
}
