// Static calls against their key's trampoline, on hand-assembled code: each
// form Linux's __static_call_transform() writes for a function, a NULL
// function and __static_call_return0, in call and tail-call sites, agrees
// with the trampoline written for the same function; a site aimed
// elsewhere does not.
#include "inspect/static_call_consistency.hpp"

#include <gtest/gtest.h>

using namespace drtm;
using binary::Bytes;
using inspect::PatchKind;
using inspect::PatchSite;

namespace {

constexpr std::uint64_t kBase = 0xffffffff81000000ull;
constexpr std::uint64_t kKey = 0xffffffff82000000ull, kOtherKey = kKey + 0x40;
constexpr std::uint64_t kTramp = kBase + 0x100, kFuncA = kBase + 0x200, kFuncB = kBase + 0x300;
constexpr std::uint64_t kReturn0 = kBase + 0x400, kReturnThunk = kBase + 0x500;
constexpr std::uint64_t kUntrainRet = kBase + 0x580;  // zen_untrain_ret, a return thunk too
constexpr std::uint64_t kSite = kBase + 0x10;

Bytes rel32(std::uint8_t op, std::uint64_t at, std::uint64_t to) {
    const auto rel = static_cast<std::uint32_t>(to - (at + 5));
    return {op, static_cast<std::uint8_t>(rel), static_cast<std::uint8_t>(rel >> 8),
            static_cast<std::uint8_t>(rel >> 16), static_cast<std::uint8_t>(rel >> 24)};
}
const Bytes kNop5 = {0x0F, 0x1F, 0x44, 0x00, 0x00};
const Bytes kRet = {0xC3, 0xCC, 0xCC, 0xCC, 0xCC};
const Bytes kXorEax = {0x2E, 0x2E, 0x2E, 0x31, 0xC0};

class StaticCalls : public ::testing::Test {
  protected:
    StaticCalls()
        : symbols_({{kTramp, 'T', "__SCT__foo"},
                    {kFuncA, 'T', "func_a"},
                    {kFuncB, 'T', "func_b"},
                    {kReturn0, 'T', "__static_call_return0"},
                    {kReturnThunk, 'T', "__x86_return_thunk"},
                    {kUntrainRet, 'T', "zen_untrain_ret"},
                    {kKey, 'D', "__SCK__foo"}}) {}

    // The trampoline holds `trampoline`, the one site of key `key` holds `site`.
    std::vector<inspect::DisagreeingSite> judge(const Bytes& trampoline, const Bytes& site,
                                                std::uint64_t key = kKey) {
        Bytes code(0x600, 0xCC);
        std::copy(trampoline.begin(), trampoline.end(), code.begin() + (kTramp - kBase));
        std::copy(site.begin(), site.end(), code.begin() + (kSite - kBase));
        const std::vector<PatchSite> sites = {{kTramp, 5, PatchKind::static_call_trampoline, kKey},
                                              {kSite, 5, PatchKind::static_call, key}};
        return inspect::static_calls_disagreeing(code, kBase, sites, symbols_);
    }
    bool agree(const Bytes& trampoline, const Bytes& site) {
        return judge(trampoline, site).empty();
    }

    image::KernelSymbols symbols_;
};

}  // namespace

TEST_F(StaticCalls, AFunctionIsCalledWhereTheTrampolineJumps) {
    const auto tramp = rel32(0xE9, kTramp, kFuncA);
    EXPECT_TRUE(agree(tramp, rel32(0xE8, kSite, kFuncA)));
    EXPECT_TRUE(agree(tramp, rel32(0xE9, kSite, kFuncA)));  // a tail call
    EXPECT_TRUE(agree(tramp, rel32(0xE8, kSite, kTramp)));  // not inlined: calls the trampoline
    EXPECT_FALSE(agree(tramp, rel32(0xE8, kSite, kFuncB)));
    EXPECT_FALSE(agree(tramp, kNop5));
    EXPECT_FALSE(agree(tramp, kXorEax));
}

TEST_F(StaticCalls, ANullFunctionIsANopOrARet) {
    // A ret is a ret whatever padding follows it.
    for (const auto& tramp :
         {kRet, Bytes{0xC3, 0xCC, 0x90, 0x90, 0x90}, rel32(0xE9, kTramp, kReturnThunk),
          rel32(0xE9, kTramp, kUntrainRet)}) {
        EXPECT_TRUE(agree(tramp, kNop5));
        EXPECT_TRUE(agree(tramp, kRet));                              // a tail call
        EXPECT_TRUE(agree(tramp, rel32(0xE9, kSite, kReturnThunk)));  // the same, return thunks on
        EXPECT_FALSE(agree(tramp, rel32(0xE8, kSite, kFuncA)));
    }
}

TEST_F(StaticCalls, Return0IsInlinedAsXor) {
    const auto tramp = rel32(0xE9, kTramp, kReturn0);
    EXPECT_TRUE(agree(tramp, kXorEax));
    EXPECT_TRUE(agree(tramp, rel32(0xE9, kSite, kReturn0)));  // a tail call
    EXPECT_FALSE(agree(tramp, kNop5));
}

TEST_F(StaticCalls, TheReasonNamesBothTargets) {
    const auto d = judge(rel32(0xE9, kTramp, kFuncA), rel32(0xE8, kSite, kFuncB));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].site.address, kSite);
    EXPECT_EQ(d[0].reason,
              "this static call goes to func_b, but its key's __SCT__foo goes to func_a");
}

// Another key's site, or one whose trampoline is not among the sites, is
// not judged against this trampoline.
TEST_F(StaticCalls, OnlyTheKeysOwnTrampolineCounts) {
    EXPECT_TRUE(judge(rel32(0xE9, kTramp, kFuncA), rel32(0xE8, kSite, kFuncB), kOtherKey).empty());
}
