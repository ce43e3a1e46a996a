// Lock prefixes against each other: all f0 (SMP) or all 3e (uniprocessor)
// pass; one unlocked site among locks is refused, saying what the rest
// are; one lock among unlocked sites is harmless.
#include "inspect/lock_prefix_consistency.hpp"

#include <gtest/gtest.h>

using namespace drtm;
using inspect::PatchKind;
using inspect::PatchSite;

namespace {

constexpr std::uint64_t kBase = 0xffffffff81000000ull;

std::vector<PatchSite> sites(std::size_t n) {
    std::vector<PatchSite> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back({kBase + 4 * i, 1, PatchKind::lock_prefix, 0});
    // Another kind's byte is not a lock prefix's business.
    out.push_back({kBase + 4 * n, 1, PatchKind::jump_label, 0});
    return out;
}

binary::Bytes code(std::initializer_list<std::uint8_t> prefixes) {
    binary::Bytes b(4 * prefixes.size() + 4, 0x90);
    std::size_t i = 0;
    for (auto p : prefixes) b[4 * i++] = p;
    b.back() = 0x3E;
    return b;
}

TEST(LockPrefixConsistency, AllLockedOrAllUnlockedPasses) {
    EXPECT_TRUE(
        inspect::lock_prefixes_disagreeing(code({0xF0, 0xF0, 0xF0}), kBase, sites(3)).empty());
    EXPECT_TRUE(
        inspect::lock_prefixes_disagreeing(code({0x3E, 0x3E, 0x3E}), kBase, sites(3)).empty());
}

TEST(LockPrefixConsistency, TheOddOneIsRefused) {
    auto d = inspect::lock_prefixes_disagreeing(code({0xF0, 0x3E, 0xF0}), kBase, sites(3));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].site.address, kBase + 4);
    EXPECT_EQ(d[0].reason, "this lock prefix is unlocked (3e), but 2 of the kernel's 3 are locks");
    // A uniprocessor kernel with one lock: harmless, not refused.
    EXPECT_TRUE(
        inspect::lock_prefixes_disagreeing(code({0x3E, 0x3E, 0xF0}), kBase, sites(3)).empty());
}

}  // namespace
