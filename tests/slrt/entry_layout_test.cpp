// Every entry's bytes against the offsets of reference/formats.md §1.6–1.10,
// written out by hand.
#include <gtest/gtest.h>

#include "byte_peek.hpp"
#include "slrt/entry_codec.hpp"
#include "slrt/errors.hpp"
#include "slrt/grub_policy.hpp"

using namespace drtm::slrt;
using namespace slrt_test;

TEST(EntryLayout, LogInfo) {
    LogInfo l;
    l.format = 2;
    l.size = 0x8000;
    l.addr = 0x12345678ABCDull;
    Bytes b = encode_entry(l);
    ASSERT_EQ(b.size(), 24u);
    EXPECT_EQ(u32(b, 0x00), 2u);
    EXPECT_EQ(u32(b, 0x04), 24u);
    EXPECT_EQ(u16(b, 0x08), 2);
    EXPECT_EQ(u16(b, 0x0A), 0);
    EXPECT_EQ(u32(b, 0x0C), 0x8000u);
    EXPECT_EQ(u64(b, 0x10), 0x12345678ABCDull);
}

TEST(EntryLayout, PolicyHeaderAndFiftySixByteEntries) {
    Policy p;
    p.entries.push_back(make_policy_entry(18, EntityType::cmdline, kPolicyFlagImplicitSize,
                                          0xAAAA0000, 0x7FF, "Measured Kernel command line"));
    p.entries.push_back(unused_policy_entry());
    Bytes b = encode_entry(p);
    ASSERT_EQ(b.size(), 16u + 2 * 56u);
    EXPECT_EQ(u32(b, 0x00), 3u);
    EXPECT_EQ(u32(b, 0x04), 128u);
    EXPECT_EQ(u16(b, 0x08), 0);  // reserved[0]
    EXPECT_EQ(u16(b, 0x0A), 0);  // reserved[1]
    EXPECT_EQ(u16(b, 0x0C), 1);  // revision
    EXPECT_EQ(u16(b, 0x0E), 2);  // nr_entries
    const std::size_t e = 0x10;
    EXPECT_EQ(u16(b, e + 0x00), 18);      // pcr
    EXPECT_EQ(u16(b, e + 0x02), 4);       // entity_type CMDLINE
    EXPECT_EQ(u16(b, e + 0x04), 2);       // flags
    EXPECT_EQ(u16(b, e + 0x06), 0);       // reserved
    EXPECT_EQ(u64(b, e + 0x08), 0x7FFu);  // size before entity (current layout)
    EXPECT_EQ(u64(b, e + 0x10), 0xAAAA0000u);
    EXPECT_EQ(text(b, e + 0x18, 28), "Measured Kernel command line");
    EXPECT_EQ(b[e + 0x18 + 28], 0);  // NUL padding
    // Second slot: UNUSED at 0x10 + 56.
    EXPECT_EQ(u16(b, e + 56 + 0x02), 0xFFFF);
}

TEST(EntryLayout, EventInfoMayFillAll32Bytes) {
    std::string label(32, 'x');
    PolicyEntry e = make_policy_entry(17, EntityType::ramdisk, 0, 1, 2, label);
    EXPECT_EQ(e.label(), label);
    EXPECT_THROW(make_event_info(std::string(33, 'x')), BuildError);
}

TEST(EntryLayout, IntelInfoVariantA) {
    IntelInfo i;
    i.layout = IntelInfoLayout::with_boot_params;
    i.boot_params_addr = 0xB0;
    i.txt_heap = 0xB1;
    i.saved_misc_enable_msr = 0xB2;
    i.saved_bsp_mtrrs.default_mem_type = 6;
    i.saved_bsp_mtrrs.mtrr_vcnt = 2;
    i.saved_bsp_mtrrs.pairs[0] = {0xC0, 0xC1};
    i.saved_bsp_mtrrs.pairs[31] = {0xD0, 0xD1};
    Bytes b = encode_entry(i);
    ASSERT_EQ(b.size(), 560u);
    EXPECT_EQ(u32(b, 0x04), 560u);
    EXPECT_EQ(u64(b, 0x08), 0xB0u);  // boot_params_addr
    EXPECT_EQ(u64(b, 0x10), 0xB1u);  // txt_heap
    EXPECT_EQ(u64(b, 0x18), 0xB2u);  // saved_misc_enable_msr
    EXPECT_EQ(u64(b, 0x20), 6u);     // default_mem_type
    EXPECT_EQ(u64(b, 0x28), 2u);     // mtrr_vcnt
    EXPECT_EQ(u64(b, 0x30), 0xC0u);  // mtrr_pair[0] starts at 0x30
    EXPECT_EQ(u64(b, 0x38), 0xC1u);
    EXPECT_EQ(u64(b, 0x30 + 31 * 16), 0xD0u);
    EXPECT_EQ(u64(b, 0x30 + 31 * 16 + 8), 0xD1u);
}

TEST(EntryLayout, IntelInfoVariantB) {
    IntelInfo i;
    i.layout = IntelInfoLayout::spec;
    i.txt_heap = 0xB1;
    i.saved_misc_enable_msr = 0xB2;
    i.saved_bsp_mtrrs.default_mem_type = 6;
    Bytes b = encode_entry(i);
    ASSERT_EQ(b.size(), 552u);
    EXPECT_EQ(u64(b, 0x08), 0xB1u);  // txt_heap
    EXPECT_EQ(u64(b, 0x10), 0xB2u);  // saved_misc_enable_msr
    EXPECT_EQ(u64(b, 0x18), 6u);     // saved_bsp_mtrrs
    i.boot_params_addr = 1;          // no such field in variant B
    EXPECT_THROW(encode_entry(i), BuildError);
}

TEST(EntryLayout, AmdInfoSetupDataForm) {
    AmdInfo a;
    a.next = 0xA1;
    a.len = 56;
    a.slrt_size = 0xA2;
    a.slrt_base = 0xA3;
    a.boot_params_base = 0xA4;
    a.psp_version = 3;
    Bytes b = encode_entry(a);
    ASSERT_EQ(b.size(), 56u);
    EXPECT_EQ(u32(b, 0x00), 5u);
    EXPECT_EQ(u64(b, 0x08), 0xA1u);  // next
    EXPECT_EQ(u32(b, 0x10), 10u);    // type = SETUP_SECURE_LAUNCH
    EXPECT_EQ(u32(b, 0x14), 56u);    // len
    EXPECT_EQ(u64(b, 0x18), 0xA2u);  // slrt_size
    EXPECT_EQ(u64(b, 0x20), 0xA3u);  // slrt_base
    EXPECT_EQ(u64(b, 0x28), 0xA4u);  // boot_params_base
    EXPECT_EQ(u16(b, 0x30), 3);      // psp_version
}

TEST(EntryLayout, AmdInfoHeaderOnly) {
    AmdInfo a;
    a.layout = AmdInfoLayout::header_only;
    Bytes b = encode_entry(a);
    ASSERT_EQ(b.size(), 8u);
    EXPECT_EQ(u32(b, 0), 5u);
    EXPECT_EQ(u32(b, 4), 8u);
}

TEST(EntryLayout, UefiConfig) {
    UefiConfig u;
    UefiConfigEntry e;
    e.pcr = 18;
    e.size = 0x30;
    e.cfg = 0xCF6;
    e.evt_info = make_event_info("Measured UEFI memory map");
    u.entries = {e, e};
    Bytes b = encode_entry(u);
    ASSERT_EQ(b.size(), 16u + 2 * 48u);
    EXPECT_EQ(u32(b, 0x00), 8u);
    EXPECT_EQ(u16(b, 0x0C), 1);  // revision
    EXPECT_EQ(u16(b, 0x0E), 2);  // nr_entries
    EXPECT_EQ(u16(b, 0x10), 18);
    EXPECT_EQ(u32(b, 0x14), 0x30u);
    EXPECT_EQ(u64(b, 0x18), 0xCF6u);
    EXPECT_EQ(text(b, 0x20, 24), "Measured UEFI memory map");
    EXPECT_EQ(u16(b, 0x10 + 48), 18);
}

TEST(EntryLayout, HeaderOnlyPlaceholders) {
    Bytes arm = encode_entry(OpaqueEntry{6, {}});
    Bytes uefi = encode_entry(OpaqueEntry{7, {}});
    EXPECT_EQ(arm, (Bytes{6, 0, 0, 0, 8, 0, 0, 0}));
    EXPECT_EQ(uefi, (Bytes{7, 0, 0, 0, 8, 0, 0, 0}));
}
