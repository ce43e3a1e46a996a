// Jump labels against their keys, on hand-built code: two keys, one with a
// likely branch (its code jumps when the key is disabled). Sites as the
// kernel writes them for each count pass; one site flipped is refused with
// what its key says, from the count read in the pause or, without it, from
// the other sites of the key; a key the kernel is switching is not judged.
#include "inspect/jump_label_consistency.hpp"

#include <gtest/gtest.h>

using namespace drtm;
using inspect::PatchKind;
using inspect::PatchSite;

namespace {

constexpr std::uint64_t kBase = 0xffffffff81000000ull;
constexpr std::uint64_t kKeyA = 0xffffffff82c00000ull, kKeyB = 0xffffffff82c00010ull;
const binary::Bytes kNop5 = {0x0F, 0x1F, 0x44, 0x00, 0x00};
const binary::Bytes kJmp5 = {0xE9, 0x10, 0x00, 0x00, 0x00};

const image::KernelSymbols& symbols() {
    static const image::KernelSymbols s(
        {{kBase, 'T', "_text"}, {kKeyA, 'D', "key_a"}, {kKeyB, 'D', "key_b"}});
    return s;
}

struct Code {
    std::vector<PatchSite> sites;
    binary::Bytes found = binary::Bytes(0x100, 0xCC);
    // Site i at kBase + 0x10 * i.
    void add(std::uint64_t key, bool branch, const binary::Bytes& bytes) {
        PatchSite s{kBase + 0x10 * sites.size(), 5, PatchKind::jump_label, 0};
        s.key = key;
        s.branch = branch;
        std::copy(bytes.begin(), bytes.end(), found.begin() + 0x10 * sites.size());
        sites.push_back(s);
    }
    std::vector<inspect::DisagreeingSite> check(const inspect::StaticKeyCounts* counts) const {
        return inspect::jump_labels_disagreeing(found, kBase, sites, symbols(), counts);
    }
};

TEST(JumpLabelConsistency, SitesAsTheKernelWritesThemPass) {
    Code enabled;  // key_a enabled: its sites jump; key_b (likely) disabled: jump too
    enabled.add(kKeyA, false, kJmp5);
    enabled.add(kKeyA, false, kJmp5);
    enabled.add(kKeyB, true, kJmp5);
    const inspect::StaticKeyCounts counts = {{kKeyA, 2}, {kKeyB, 0}};
    EXPECT_TRUE(enabled.check(&counts).empty());
    EXPECT_TRUE(enabled.check(nullptr).empty());
    Code disabled;
    disabled.add(kKeyA, false, kNop5);
    disabled.add(kKeyB, true, kNop5);  // likely and enabled: falls through
    const inspect::StaticKeyCounts other = {{kKeyA, 0}, {kKeyB, 1}};
    EXPECT_TRUE(disabled.check(&other).empty());
}

TEST(JumpLabelConsistency, ASiteAgainstItsKeysCountIsRefused) {
    Code c;
    c.add(kKeyA, false, kNop5);
    c.add(kKeyA, false, kJmp5);  // turned on alone
    c.add(kKeyA, false, kNop5);
    const inspect::StaticKeyCounts counts = {{kKeyA, 0}};
    const auto d = c.check(&counts);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].site.address, kBase + 0x10);
    EXPECT_EQ(d[0].reason, "this jump label is enabled, but its key key_a is disabled (count 0)");
    // The count says enabled: the two nops are the ones refused.
    const inspect::StaticKeyCounts on = {{kKeyA, 1}};
    EXPECT_EQ(c.check(&on).size(), 2u);
    // A key the caller cannot judge (the kernel is switching keys): not judged.
    const inspect::StaticKeyCounts switching = {{kKeyA, -1}};
    EXPECT_TRUE(c.check(&switching).empty());
}

TEST(JumpLabelConsistency, WithoutTheCountTheFewerSitesAreRefused) {
    Code c;
    c.add(kKeyA, false, kNop5);
    c.add(kKeyA, false, kNop5);
    c.add(kKeyA, false, kJmp5);
    c.add(kKeyB, false, kJmp5);
    c.add(kKeyB, false, kNop5);
    const auto d = c.check(nullptr);
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d[0].site.address, kBase + 0x20);
    EXPECT_EQ(d[0].reason,
              "this jump label is enabled, but 2 of the 3 sites of its key key_a are disabled");
    // key_b: one each way, no majority: both named.
    EXPECT_EQ(d[1].reason, "the sites of key key_b disagree: 1 enabled, 1 disabled");
    EXPECT_EQ(d[2].site.address, kBase + 0x40);
}

}  // namespace

namespace {

// The counts judged by: jump_label_mutex free (flag bits aside), a negative
// count is enabled, as static_key_count() reads it; held, nothing is
// judged; not read, a negative count may be a switch under way.
TEST(JumpLabelConsistency, CountsAreJudgedOnlyWhileTheMutexIsFree) {
    const std::uint64_t keys[] = {kKeyA, kKeyB};
    const std::uint64_t raw[] = {0xdead00000002ull, 0xffffffffull};  // 2, and -1
    auto free = inspect::static_key_counts(keys, raw, 0x4);          // a waiter flag only
    EXPECT_TRUE(free.judged);
    EXPECT_EQ(free.counts.at(kKeyA), 2);
    EXPECT_EQ(free.counts.at(kKeyB), 1);
    auto held = inspect::static_key_counts(keys, raw, 0xffff888003a1c000ull);
    EXPECT_FALSE(held.judged);
    EXPECT_EQ(held.counts.at(kKeyA), -1);
    EXPECT_EQ(held.counts.at(kKeyB), -1);
    auto unknown = inspect::static_key_counts(keys, raw, std::nullopt);
    EXPECT_TRUE(unknown.judged);
    EXPECT_EQ(unknown.counts.at(kKeyA), 2);
    EXPECT_EQ(unknown.counts.at(kKeyB), -1);
}

}  // namespace
