// compare_code on hand-made code: differences inside patch sites are
// explained, the rest become regions named by the symbolizer.
#include "inspect/code_compare.hpp"

#include <gtest/gtest.h>

using namespace drtm;
using inspect::PatchKind;

TEST(CodeCompare, SitesExplainTheirBytesOthersAreRegions) {
    binary::Bytes golden(3 * 4096, 0x90), found = golden;
    const std::uint64_t base = 0xffffffff81000000ull;
    found[10] = 0xE8;  // inside a 5-byte ftrace site at 8
    found[12] = 0x0F;
    found[5000] = 0xCC;  // unexplained, two adjacent bytes
    found[5001] = 0xCC;
    found[9000] = 0xC3;  // unexplained, alone
    std::vector<inspect::PatchSite> sites = {{base + 8, 5, PatchKind::ftrace},
                                             {base + 20000, 5, PatchKind::ftrace}};  // outside
    auto c = inspect::compare_code(golden, found, base, sites, [&](std::uint64_t va) {
        return "f+" + std::to_string(va - base);
    });
    EXPECT_EQ(c.bytes_compared, golden.size());
    EXPECT_EQ(c.bytes_differing, 5u);
    EXPECT_EQ(c.bytes_unexplained, 3u);
    EXPECT_FALSE(c.intact());
    EXPECT_EQ(c.pages, 3u);
    EXPECT_EQ(c.pages_identical_raw, 0u);
    ASSERT_EQ(c.unexplained.size(), 2u);
    EXPECT_EQ(c.unexplained[0].address, base + 5000);
    EXPECT_EQ(c.unexplained[0].symbol, "f+5000");
    EXPECT_EQ(c.unexplained[0].expected, (binary::Bytes{0x90, 0x90}));
    EXPECT_EQ(c.unexplained[0].found, (binary::Bytes{0xCC, 0xCC}));
    EXPECT_EQ(c.unexplained[1].found, (binary::Bytes{0xC3}));
}

TEST(CodeCompare, IdenticalCodeIsIntact) {
    binary::Bytes code(5000, 0x55);
    auto c = inspect::compare_code(code, code, 0, {}, [](std::uint64_t) { return ""; });
    EXPECT_TRUE(c.intact());
    EXPECT_EQ(c.pages_identical_raw, 2u);
    EXPECT_THROW(
        inspect::compare_code(code, binary::Bytes(4, 0), 0, {}, [](std::uint64_t) { return ""; }),
        std::invalid_argument);
}

TEST(CodeCompare, RestoringSitesGivesTheGoldenCodeAndKeepsOtherBytes) {
    binary::Bytes golden(64, 0x90), found = golden;
    const std::uint64_t base = 0x1000;
    found[8] = 0xE8;  // a site at 8..12, patched at run time
    found[12] = 0x0F;
    found[40] = 0xCC;  // outside every site
    found[62] = 0xE9;  // a site running past the end is clipped
    std::vector<inspect::PatchSite> sites = {{base + 8, 5, PatchKind::ftrace},
                                             {base + 60, 5, PatchKind::ftrace},
                                             {base - 16, 5, PatchKind::ftrace}};  // before the code
    inspect::restore_patch_sites(golden, found, base, sites);
    binary::Bytes expected(64, 0x90);
    expected[40] = 0xCC;
    EXPECT_EQ(found, expected);
    binary::Bytes short_copy(10);
    EXPECT_THROW(inspect::restore_patch_sites(golden, short_copy, base, sites),
                 std::invalid_argument);
}

// Between two pauses only patch sites may change: a site rewritten is not
// reported, a byte outside every site changed back is, with the note, in
// address order among the regions already found.
TEST(CodeCompare, ChangesBetweenPausesOutsideSitesAreReported) {
    const std::uint64_t base = 0x1000;
    binary::Bytes later(8192, 0x90), earlier = later;
    earlier[100] = 0xE9;   // inside a jump-label site: the kernel's to rewrite
    earlier[6000] = 0xCC;  // outside: changed back while the guest ran
    const std::vector<inspect::PatchSite> sites = {{base + 98, 5, PatchKind::jump_label}};
    inspect::CodeComparison c;
    c.bytes_unexplained = 1;
    c.unexplained.push_back({base + 7000, "g+7000", {0x90}, {0x00}, ""});
    inspect::report_changes_between_pauses(
        c, later, earlier, base, sites, [](std::uint64_t va) { return "g+" + std::to_string(va); },
        "in pause 1 of 2: changed before the last");
    EXPECT_EQ(c.bytes_unexplained, 2u);
    ASSERT_EQ(c.unexplained.size(), 2u);
    EXPECT_EQ(c.unexplained[0].address, base + 6000);
    EXPECT_EQ(c.unexplained[0].expected, binary::Bytes{0x90});
    EXPECT_EQ(c.unexplained[0].found, binary::Bytes{0xCC});
    EXPECT_EQ(c.unexplained[0].note, "in pause 1 of 2: changed before the last");
    EXPECT_EQ(c.unexplained[1].address, base + 7000);
}
