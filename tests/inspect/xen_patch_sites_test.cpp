// Xen's alternatives table read from a hand-made image: 14-byte packed
// entries with self-relative offsets, each site spanning orig_len + pad_len,
// only sites in .text kept. Expected sites are worked out by hand below.
#include "inspect/xen_patch_sites.hpp"

#include <gtest/gtest.h>

#include "binary/error.hpp"
#include "support/tiny_elf.hpp"

using namespace drtm;
using binary::Bytes;

namespace {

constexpr std::uint64_t kText = testsupport::kTextAddr;     // .text: 16 bytes
constexpr std::uint64_t kTable = testsupport::kRodataAddr;  // the table in .rodata

void put_s32(Bytes& b, std::int64_t v) {
    const auto u = static_cast<std::uint32_t>(static_cast<std::int32_t>(v));
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
}

// One entry at `at` (its address) for a site at `site`, replacement at `repl`.
void entry(Bytes& t, std::uint64_t site, std::uint64_t repl, std::uint8_t orig_len,
           std::uint8_t repl_len, std::uint8_t pad_len) {
    const std::uint64_t at = kTable + t.size();
    put_s32(t, static_cast<std::int64_t>(site - at));
    put_s32(t, static_cast<std::int64_t>(repl - (at + 4)));
    t.insert(t.end(), {0x5D, 0x00, orig_len, repl_len, pad_len, 0x00});  // cpuid 0x5d
}

}  // namespace

TEST(XenPatchSites, EntriesGiveSitesOfOrigPlusPadding) {
    Bytes table;
    entry(table, kText + 2, kTable + 0x80, 3, 5, 2);      // site kText+2, 5 bytes
    entry(table, kText + 9, kTable + 0x90, 0, 4, 4);      // padding only: kText+9, 4 bytes
    entry(table, kText + 0x400, kTable + 0xA0, 2, 2, 0);  // outside .text: dropped
    entry(table, kText + 4, kTable + 0xB0, 0, 0, 0);      // empty: dropped
    entry(table, kText + 14, kTable + 0xC0, 2, 2, 1);     // runs past .text's end: dropped
    ASSERT_EQ(table.size(), 5u * 14u);
    auto bytes = testsupport::TinyElf(true).with_rodata(table).build();
    auto elf = image::ElfImage::parse(bytes);
    image::KernelSymbols symbols({{kTable, 'D', "__alt_instructions"},
                                  {kTable + table.size(), 'D', "__alt_instructions_end"}});
    auto sites = inspect::xen_patch_sites(elf, symbols);
    ASSERT_EQ(sites.size(), 2u);
    EXPECT_EQ(sites[0].address, kText + 2);
    EXPECT_EQ(sites[0].length, 5);
    EXPECT_EQ(sites[0].target, kTable + 0x80);
    EXPECT_EQ(sites[0].replacement_length, 5);
    EXPECT_EQ(sites[0].padding, 2);
    EXPECT_EQ(sites[0].kind, inspect::PatchKind::xen_alternative);
    EXPECT_EQ(sites[0].feature, 0x5D);
    EXPECT_EQ(sites[1].address, kText + 9);
    EXPECT_EQ(sites[1].length, 4);
    EXPECT_EQ(sites[1].padding, 4);
}

TEST(XenPatchSites, ATableOfPartEntriesOrWithoutBoundsIsRefused) {
    Bytes table;
    entry(table, kText + 2, kTable + 0x80, 3, 5, 2);
    auto bytes = testsupport::TinyElf(true).with_rodata(table).build();
    auto elf = image::ElfImage::parse(bytes);
    image::KernelSymbols torn(
        {{kTable, 'D', "__alt_instructions"}, {kTable + 13, 'D', "__alt_instructions_end"}});
    EXPECT_THROW(inspect::xen_patch_sites(elf, torn), binary::ParseError);
    image::KernelSymbols none({{kTable, 'D', "__alt_instructions"}});
    EXPECT_THROW(inspect::xen_patch_sites(elf, none), binary::ParseError);
}
