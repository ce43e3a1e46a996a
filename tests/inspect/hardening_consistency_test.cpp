// Hardening rewrites against each other. Lock prefixes: all f0 (SMP) or all
// 3e (uniprocessor) pass; one unlocked among locks is refused, saying what
// the rest are; one lock among unlocked sites is harmless. Xen's endbr64
// seals: all sealed (CET-IBT) or none pass; one endbr64 left among sealed
// entries is refused.
#include "inspect/hardening_consistency.hpp"

#include <gtest/gtest.h>

using namespace drtm;
using inspect::PatchKind;
using inspect::PatchSite;

namespace {

constexpr std::uint64_t kBase = 0xffffffff81000000ull;
constexpr std::uint64_t kTable = 0xffffffff82400000ull;

// `n` sites of `kind`, 8 bytes apart, then a jump label (another kind's
// bytes are not these rules' business).
std::vector<PatchSite> sites(PatchKind kind, std::size_t n, std::uint16_t length) {
    std::vector<PatchSite> out;
    // Seals: each named by a cf_clobber table pointer.
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(
            {kBase + 8 * i, length, kind, kind == PatchKind::xen_endbr_seal ? kTable : 0});
    out.push_back({kBase + 8 * n, 1, PatchKind::jump_label, 0});
    return out;
}

binary::Bytes code(std::initializer_list<binary::Bytes> at_sites) {
    binary::Bytes b(8 * at_sites.size() + 8, 0x90);
    std::size_t i = 0;
    for (const auto& bytes : at_sites) std::copy(bytes.begin(), bytes.end(), b.begin() + 8 * i++);
    b[8 * at_sites.size()] = 0x3E;
    return b;
}

const binary::Bytes kLock = {0xF0}, kDs = {0x3E};
const binary::Bytes kEndbr = {0xF3, 0x0F, 0x1E, 0xFA}, kSealed = {0x66, 0x0F, 0x1F, 0x01};

TEST(HardeningConsistency, AllHardenedOrNonePasses) {
    const auto locks = sites(PatchKind::lock_prefix, 3, 1);
    EXPECT_TRUE(inspect::unhardened_sites(code({kLock, kLock, kLock}), kBase, locks).empty());
    EXPECT_TRUE(inspect::unhardened_sites(code({kDs, kDs, kDs}), kBase, locks).empty());
    const auto seals = sites(PatchKind::xen_endbr_seal, 3, 4);
    EXPECT_TRUE(inspect::unhardened_sites(code({kSealed, kSealed, kSealed}), kBase, seals).empty());
    EXPECT_TRUE(inspect::unhardened_sites(code({kEndbr, kEndbr, kEndbr}), kBase, seals).empty());
}

TEST(HardeningConsistency, AnUnlockedPrefixAmongLocksIsRefused) {
    const auto locks = sites(PatchKind::lock_prefix, 3, 1);
    auto d = inspect::unhardened_sites(code({kLock, kDs, kLock}), kBase, locks);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].site.address, kBase + 8);
    EXPECT_EQ(d[0].reason, "this lock prefix is unlocked (3e), but 2 of the image's 3 are locks");
    // A uniprocessor kernel with one lock: harmless, not refused.
    EXPECT_TRUE(inspect::unhardened_sites(code({kDs, kDs, kLock}), kBase, locks).empty());
}

TEST(HardeningConsistency, AnEndbr64LeftAmongSealedEntriesIsRefused) {
    const auto seals = sites(PatchKind::xen_endbr_seal, 3, 4);
    auto d = inspect::unhardened_sites(code({kSealed, kSealed, kEndbr}), kBase, seals);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].site.address, kBase + 16);
    EXPECT_EQ(d[0].reason,
              "this function entry is still an endbr64, but 2 of the image's 3 are sealed "
              "(CET-IBT is on)");
    EXPECT_TRUE(inspect::unhardened_sites(code({kEndbr, kEndbr, kSealed}), kBase, seals).empty());
    // A function no table of the image names (Xen may seal it or not).
    auto more = seals;
    more[2].target = 0;
    EXPECT_TRUE(inspect::unhardened_sites(code({kSealed, kSealed, kEndbr}), kBase, more).empty());
}

}  // namespace
