// The forms a patch site may hold, on hand-made sites: each kind accepts
// what Linux's own patching code writes there and refuses a hook (a call or
// jump somewhere else) in the same place.
#include "inspect/patch_site_forms.hpp"

#include <gtest/gtest.h>

#include "inspect/code_compare.hpp"
#include "support/tiny_elf.hpp"

using namespace drtm;
using binary::Bytes;
using inspect::PatchKind;
using inspect::PatchSite;

namespace {

constexpr std::uint64_t kText = testsupport::kTextAddr;
constexpr std::uint64_t kSite = kText + 0x1000;
constexpr std::uint64_t kCommitCreds = kText + 0x2000;
constexpr std::uint64_t kFtraceCaller = kText + 0x3000;
constexpr std::uint64_t kReturnThunk = kText + 0x4000;
constexpr std::uint64_t kThunkRax = kText + 0x5000;
constexpr std::uint64_t kItsThunkRax = kText + 0x5100;
constexpr std::uint64_t kThunkR11 = kText + 0x5200;
constexpr std::uint64_t kSct = kText + 0x6000;
constexpr std::uint64_t kParavirtNop = kText + 0x7000;
constexpr std::uint64_t kParavirtBug = kText + 0x7100;
constexpr std::uint64_t kInitBegin = kText + 0x8000, kInitEnd = kText + 0x9000;
constexpr std::uint64_t kInitFunction = kInitBegin + 0x100;
constexpr std::uint64_t kWeakFunction = kInitEnd + 0x100;
constexpr std::uint64_t kAltcallReplacement = testsupport::kRodataAddr + 8;
constexpr std::uint64_t kEndbrFunction = testsupport::kRodataAddr + 16;

// A rel32 call (e8) or jmp (e9) at `at` to `to`.
Bytes rel32(std::uint8_t op, std::uint64_t at, std::uint64_t to) {
    const auto rel = static_cast<std::uint32_t>(to - (at + 5));
    return {op, static_cast<std::uint8_t>(rel), static_cast<std::uint8_t>(rel >> 8),
            static_cast<std::uint8_t>(rel >> 16), static_cast<std::uint8_t>(rel >> 24)};
}

Bytes cat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class SiteForms : public ::testing::Test {
  protected:
    // .rodata stands in for .altinstr_replacement: a call to commit_creds
    // (at the replacement's own address), then lfence; at +8 Xen's altcall
    // replacement `call .`; at +16 a function that starts with endbr64.
    SiteForms()
        : elf_bytes_(testsupport::TinyElf(true)
                         .with_rodata(cat(cat(rel32(0xE8, testsupport::kRodataAddr, kCommitCreds),
                                              {0x0F, 0xAE, 0xE8}),
                                          {0xE8, 0xFB, 0xFF, 0xFF, 0xFF, 0xCC, 0xCC, 0xCC, 0xF3,
                                           0x0F, 0x1E, 0xFA, 0xC3}))
                         .build()),
          elf_(image::ElfImage::parse(elf_bytes_)),
          symbols_({{kCommitCreds, 'T', "commit_creds"},
                    {kFtraceCaller, 'T', "ftrace_caller"},
                    {kReturnThunk, 'T', "__x86_return_thunk"},
                    {kThunkRax, 'T', "__x86_indirect_thunk_rax"},
                    {kItsThunkRax, 'T', "__x86_indirect_its_thunk_rax"},
                    {kThunkR11, 'T', "__x86_indirect_thunk_r11"},
                    {kSct, 'T', "__SCT__tp_func_foo"},
                    {kParavirtNop, 'T', "_paravirt_nop"},
                    {kParavirtBug, 'T', "paravirt_BUG"},
                    {kEndbrFunction, 't', "svm_vmexit_handler"},
                    {kInitBegin, 'T', "__init_begin"},
                    {kInitFunction, 't', "setup_arch_init"},
                    {kInitEnd, 'T', "__init_end"},
                    {kWeakFunction, 'W', "arch_weak_default"}}),
          check_(elf_, symbols_) {}

    bool allowed(PatchKind kind, const Bytes& golden, const Bytes& found, std::uint64_t target = 0,
                 std::uint16_t replacement_length = 0, std::uint16_t padding = 0,
                 std::uint16_t feature = 0, const inspect::PointerValues* pointers = nullptr) {
        PatchSite s;
        s.address = kSite;
        s.length = static_cast<std::uint16_t>(golden.size());
        s.kind = kind;
        s.target = target;
        s.replacement_length = replacement_length;
        s.padding = padding;
        s.feature = feature;
        return check_.allowed(s, golden, found, pointers);
    }

    Bytes elf_bytes_;
    image::ElfImage elf_;
    image::KernelSymbols symbols_;
    inspect::SiteFormChecker check_;
};

const Bytes kNop5 = {0x0F, 0x1F, 0x44, 0x00, 0x00};

}  // namespace

TEST(NopRun, TheKernelsNopsAndAJumpOverInt3) {
    EXPECT_TRUE(inspect::is_nop_run(Bytes{}));
    EXPECT_TRUE(inspect::is_nop_run(Bytes{0x90}));
    EXPECT_TRUE(inspect::is_nop_run(Bytes{0x66, 0x90, 0x0F, 0x1F, 0x00}));
    EXPECT_TRUE(inspect::is_nop_run(Bytes{0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00, 0x90}));
    EXPECT_TRUE(inspect::is_nop_run(Bytes{0xEB, 0x03, 0xCC, 0xCC, 0xCC}));
    EXPECT_FALSE(inspect::is_nop_run(Bytes{0xEB, 0x03, 0xCC, 0xCC, 0x90}));
    EXPECT_FALSE(inspect::is_nop_run(Bytes{0xC3}));
    EXPECT_FALSE(inspect::is_nop_run(Bytes{0x0F, 0x1F, 0x44, 0x00}));  // cut short
}

// Xen's K8 nops (AMD family <= 0Fh): operand-size prefixes before 0x90,
// NOP5-NOP8 being runs of NOP1-NOP4.
TEST(NopRun, XensK8Nops) {
    EXPECT_TRUE(inspect::is_nop_run(Bytes{0x66, 0x66, 0x90}));
    EXPECT_TRUE(inspect::is_nop_run(Bytes{0x66, 0x66, 0x66, 0x90}));
    EXPECT_TRUE(inspect::is_nop_run(Bytes{0x66, 0x66, 0x90, 0x66, 0x90}));
    EXPECT_TRUE(inspect::is_nop_run(Bytes{0x66, 0x66, 0x66, 0x90, 0x66, 0x66, 0x66, 0x90}));
    EXPECT_FALSE(inspect::is_nop_run(Bytes{0x66, 0x66, 0x91}));  // xchg %cx,%ax
    EXPECT_FALSE(inspect::is_nop_run(Bytes{0x66, 0x66}));
}

TEST_F(SiteForms, GoldenBytesAreAlwaysAllowed) {
    const Bytes g = rel32(0xE8, kSite, kCommitCreds);
    for (auto kind :
         {PatchKind::ftrace, PatchKind::static_call, PatchKind::paravirt, PatchKind::return_thunk})
        EXPECT_TRUE(allowed(kind, g, g)) << inspect::patch_kind_name(kind);
}

TEST_F(SiteForms, LockPrefix) {
    EXPECT_TRUE(allowed(PatchKind::lock_prefix, {0xF0}, {0x3E}));
    EXPECT_FALSE(allowed(PatchKind::lock_prefix, {0xF0}, {0x90}));
}

TEST_F(SiteForms, ReturnThunk) {
    const Bytes g = rel32(0xE9, kSite, kReturnThunk);
    EXPECT_TRUE(allowed(PatchKind::return_thunk, g, {0xC3, 0xCC, 0xCC, 0xCC, 0xCC}));
    EXPECT_FALSE(allowed(PatchKind::return_thunk, g, rel32(0xE9, kSite, kCommitCreds)));
    EXPECT_FALSE(allowed(PatchKind::return_thunk, g, {0xC3, 0x90, 0x90, 0x90, 0x90}));
}

TEST_F(SiteForms, FtraceIsANopOrACallIntoFtrace) {
    const Bytes g = rel32(0xE8, kSite, kText);  // call __fentry__
    EXPECT_TRUE(allowed(PatchKind::ftrace, g, kNop5));
    EXPECT_TRUE(allowed(PatchKind::ftrace, g, rel32(0xE8, kSite, kFtraceCaller)));
    EXPECT_FALSE(allowed(PatchKind::ftrace, g, rel32(0xE8, kSite, kCommitCreds)));
    EXPECT_FALSE(allowed(PatchKind::ftrace, g, rel32(0xE9, kSite, kFtraceCaller)));
}

TEST_F(SiteForms, StaticCallsGoToFunctionStarts) {
    const Bytes call = rel32(0xE8, kSite, kSct);
    EXPECT_TRUE(allowed(PatchKind::static_call, call, kNop5));
    EXPECT_TRUE(allowed(PatchKind::static_call, call, {0x2E, 0x2E, 0x2E, 0x31, 0xC0}));
    EXPECT_TRUE(allowed(PatchKind::static_call, call, rel32(0xE8, kSite, kCommitCreds)));
    EXPECT_FALSE(allowed(PatchKind::static_call, call, rel32(0xE8, kSite, kCommitCreds + 1)));
    EXPECT_FALSE(allowed(PatchKind::static_call, call, {0xC3, 0xCC, 0xCC, 0xCC, 0xCC}));
    const Bytes tramp = rel32(0xE9, kSite, kCommitCreds);
    EXPECT_TRUE(allowed(PatchKind::static_call_trampoline, tramp, {0xC3, 0xCC, 0xCC, 0xCC, 0xCC}));
    EXPECT_TRUE(allowed(PatchKind::static_call_trampoline, tramp, rel32(0xE9, kSite, kSct)));
    EXPECT_FALSE(allowed(PatchKind::static_call_trampoline, tramp, kNop5));
}

TEST_F(SiteForms, JumpLabelsJumpOnlyToTheirTarget) {
    const std::uint64_t target = kSite + 0x22;
    EXPECT_TRUE(allowed(PatchKind::jump_label, {0x66, 0x90}, {0xEB, 0x20}, target));
    EXPECT_FALSE(allowed(PatchKind::jump_label, {0x66, 0x90}, {0xEB, 0x21}, target));
    EXPECT_TRUE(allowed(PatchKind::jump_label, kNop5, rel32(0xE9, kSite, target), target));
    EXPECT_TRUE(allowed(PatchKind::jump_label, rel32(0xE9, kSite, target), kNop5, target));
    EXPECT_FALSE(allowed(PatchKind::jump_label, kNop5, rel32(0xE9, kSite, kCommitCreds), target));
}

// Xen PV start-up's jmp at early_xen_iret_patch: xen_iret only (golden: a
// jmp to the next instruction, the native iret path).
TEST_F(SiteForms, XenPvIretJumpsOnlyToXenIret) {
    const std::uint64_t xen_iret = kCommitCreds;
    const Bytes golden = rel32(0xE9, kSite, kSite + 5);
    EXPECT_TRUE(allowed(PatchKind::xen_pv_iret, golden, rel32(0xE9, kSite, xen_iret), xen_iret));
    EXPECT_FALSE(allowed(PatchKind::xen_pv_iret, golden, rel32(0xE9, kSite, kSct), xen_iret));
    EXPECT_FALSE(allowed(PatchKind::xen_pv_iret, golden, rel32(0xE8, kSite, xen_iret), xen_iret));
    EXPECT_FALSE(allowed(PatchKind::xen_pv_iret, golden, kNop5, xen_iret));
}

TEST_F(SiteForms, RetpolinesKeepTheirRegister) {
    const Bytes g = rel32(0xE8, kSite, kThunkRax);
    EXPECT_TRUE(allowed(PatchKind::retpoline, g, {0xFF, 0xD0, 0x0F, 0x1F, 0x00}));  // call *%rax
    EXPECT_TRUE(allowed(PatchKind::retpoline, g, {0x0F, 0xAE, 0xE8, 0xFF, 0xD0}));  // lfence
    EXPECT_TRUE(allowed(PatchKind::retpoline, g, rel32(0xE8, kSite, kItsThunkRax)));
    EXPECT_FALSE(allowed(PatchKind::retpoline, g, {0xFF, 0xD1, 0x0F, 0x1F, 0x00}));  // %rcx
    EXPECT_FALSE(allowed(PatchKind::retpoline, g, {0xFF, 0xE0, 0x0F, 0x1F, 0x00}));  // jmp
    EXPECT_FALSE(allowed(PatchKind::retpoline, g, rel32(0xE8, kSite, kCommitCreds)));
    EXPECT_FALSE(allowed(PatchKind::retpoline, g, rel32(0xE8, kSite, kThunkR11)));  // other reg
    // A jmp gets an int3 after it, then nops (apply_retpolines).
    const Bytes r11 = rel32(0xE9, kSite, kThunkR11);
    EXPECT_TRUE(allowed(PatchKind::retpoline, r11, {0x41, 0xFF, 0xE3, 0xCC, 0x90}));
    EXPECT_TRUE(allowed(PatchKind::retpoline, r11, {0x41, 0xFF, 0xE3, 0x66, 0x90}));
    EXPECT_FALSE(allowed(PatchKind::retpoline, r11, {0x41, 0xFF, 0xE3, 0xCC, 0xCC}));
    // je thunk_rax (6 bytes) becomes jne over a jmp *%rax.
    const auto rel = static_cast<std::uint32_t>(kThunkRax - (kSite + 6));
    const Bytes je = {0x0F,
                      0x84,
                      static_cast<std::uint8_t>(rel),
                      static_cast<std::uint8_t>(rel >> 8),
                      static_cast<std::uint8_t>(rel >> 16),
                      static_cast<std::uint8_t>(rel >> 24)};
    EXPECT_TRUE(allowed(PatchKind::retpoline, je, {0x75, 0x04, 0xFF, 0xE0, 0xCC, 0x90}));
    EXPECT_FALSE(allowed(PatchKind::retpoline, je, {0x74, 0x04, 0xFF, 0xE0, 0xCC, 0x90}));
    EXPECT_FALSE(allowed(PatchKind::retpoline, je, {0x75, 0x10, 0xFF, 0xE0, 0xCC, 0x90}));
}

TEST_F(SiteForms, AlternativesAreTheOriginalOrTheReplacement) {
    const std::uint64_t repl = testsupport::kRodataAddr;
    const Bytes g = {0xF3, 0xAA, 0x90, 0x90, 0x90, 0x90};  // rep stosb + padding
    // Not applied: the padding re-encoded.
    EXPECT_TRUE(allowed(PatchKind::alternative, g, {0xF3, 0xAA, 0x0F, 0x1F, 0x40, 0x00}, repl, 5));
    // Applied: the call re-based to the site, then a nop.
    EXPECT_TRUE(
        allowed(PatchKind::alternative, g, cat(rel32(0xE8, kSite, kCommitCreds), {0x90}), repl, 5));
    // The replacement's bytes copied without re-basing call elsewhere.
    EXPECT_FALSE(allowed(PatchKind::alternative, g,
                         cat(rel32(0xE8, kSite, kCommitCreds + 0x10), {0x90}), repl, 5));
    // A replacement longer than the site cannot be what the kernel wrote.
    EXPECT_FALSE(allowed(PatchKind::alternative, {0x90, 0x90, 0x90}, {0x0F, 0xAE, 0xE8}, repl, 8));
    EXPECT_FALSE(allowed(PatchKind::alternative, g, {0xF3, 0xAA, 0xC3, 0x90, 0x90, 0x90}, repl, 5));
}

// Xen keeps the original exactly and re-encodes only its padding (pad_len
// bytes, already long nops in the image) with its own nops, of any encoding.
TEST_F(SiteForms, XenKeepsTheOriginalAndReencodesOnlyItsPadding) {
    const std::uint64_t repl = testsupport::kRodataAddr;
    auto xen = [&](const Bytes& golden, const Bytes& found, std::uint16_t padding) {
        return allowed(PatchKind::xen_alternative, golden, found, repl, 5, padding);
    };
    const Bytes g = {0x31, 0xC0, 0x0F, 0x1F, 0x40, 0x00};  // xor %eax,%eax + nopl 0(%rax)
    EXPECT_TRUE(xen(g, {0x31, 0xC0, 0x66, 0x66, 0x66, 0x90}, 4));
    EXPECT_TRUE(xen(g, {0x31, 0xC0, 0x66, 0x90, 0x66, 0x90}, 4));
    EXPECT_FALSE(xen(g, {0x31, 0xC9, 0x66, 0x66, 0x66, 0x90}, 4));  // the original changed
    EXPECT_FALSE(xen(g, {0x31, 0xC0, 0x66, 0x66, 0x90, 0xC3}, 4));  // code in the padding
    // 0x90 bytes inside the original (here a displacement) are not padding.
    const Bytes call = {0xFF, 0x15, 0x90, 0x90, 0x00, 0x00};
    EXPECT_FALSE(xen(call, {0xFF, 0x15, 0x66, 0x90, 0x00, 0x00}, 0));
    // Linux's rule stays Linux's: only 0x90 runs are re-encoded there.
    EXPECT_FALSE(allowed(PatchKind::alternative, g, {0x31, 0xC0, 0x66, 0x66, 0x66, 0x90}, repl, 5));
}

// Applied, Xen re-bases only a leading call/jmp of the replacement.
TEST_F(SiteForms, XenReplacementsRebaseOnlyTheirLeadingBranch) {
    const std::uint64_t repl = testsupport::kRodataAddr;  // call commit_creds; lfence
    const Bytes g(10, 0x90);
    EXPECT_TRUE(allowed(
        PatchKind::xen_alternative, g,
        cat(cat(rel32(0xE8, kSite, kCommitCreds), {0x0F, 0xAE, 0xE8}), {0x66, 0x90}), repl, 8, 10));
    EXPECT_FALSE(allowed(PatchKind::xen_alternative, g,
                         cat(cat(rel32(0xE8, kSite, kSct), {0x0F, 0xAE, 0xE8}), {0x66, 0x90}), repl,
                         8, 10));
}

// Xen's altcall: `call *ptr(%rip)` with the replacement `call .` becomes a
// direct call to the pointer's value (past its endbr64), or ud2; ud0 for a
// NULL pointer; a nop after either. With the pointer read from the guest,
// only that target is accepted.
TEST_F(SiteForms, XenAltcallsCallWhatTheirPointerHolds) {
    // call *0x100(%rip): the pointer is at kSite + 6 + 0x100.
    const Bytes g = {0xFF, 0x15, 0x00, 0x01, 0x00, 0x00};
    const std::uint64_t pointer = kSite + 6 + 0x100;
    auto altcall = [&](const Bytes& found, const inspect::PointerValues* pointers) {
        return allowed(PatchKind::xen_alternative, g, found, kAltcallReplacement, 5, 0,
                       /*feature=X86_FEATURE_ALWAYS*/ 0x5D, pointers);
    };
    const inspect::PointerValues to_commit_creds = {{pointer, kCommitCreds}};
    const inspect::PointerValues to_endbr = {{pointer, kEndbrFunction}};
    const inspect::PointerValues null = {{pointer, 0}};
    EXPECT_TRUE(altcall(cat(rel32(0xE8, kSite, kCommitCreds), {0x90}), &to_commit_creds));
    EXPECT_TRUE(altcall(cat(rel32(0xE8, kSite, kEndbrFunction + 4), {0x90}), &to_endbr));
    EXPECT_TRUE(altcall({0x0F, 0x0B, 0x0F, 0xFF, 0xFF, 0x90}, &null));
    // Another function than the pointer's, even an existing one.
    EXPECT_FALSE(altcall(cat(rel32(0xE8, kSite, kSct), {0x90}), &to_commit_creds));
    EXPECT_FALSE(altcall(cat(rel32(0xE8, kSite, kCommitCreds + 4), {0x90}), &to_commit_creds));
    EXPECT_FALSE(altcall({0x0F, 0x0B, 0x0F, 0xFF, 0xFF, 0x90}, &to_commit_creds));
    EXPECT_FALSE(altcall(cat(rel32(0xE9, kSite, kCommitCreds), {0x90}), &to_commit_creds));
    EXPECT_FALSE(altcall(cat(rel32(0xE8, kSite, kCommitCreds), {0xC3}), &to_commit_creds));
    // A pointer aimed at no function of the image (code loaded later), and
    // the site made to call it, explain nothing.
    const std::uint64_t loaded_later = 0xffffffffc0001000ull;
    const inspect::PointerValues to_loaded_later = {{pointer, loaded_later}};
    EXPECT_FALSE(altcall(cat(rel32(0xE8, kSite, loaded_later), {0x90}), &to_loaded_later));
    // A pointer in freed memory (not read): a function start in .text, past
    // its endbr64, or ud2. commit_creds lies beyond the tiny .text.
    EXPECT_TRUE(altcall({0x0F, 0x0B, 0x0F, 0xFF, 0xFF, 0x90}, nullptr));
    EXPECT_FALSE(altcall(cat(rel32(0xE8, kSite, kCommitCreds), {0x90}), nullptr));
    // Without X86_FEATURE_ALWAYS it is an ordinary replacement: `call .`
    // re-based, a call to the replacement itself.
    EXPECT_FALSE(allowed(PatchKind::xen_alternative, g,
                         cat(rel32(0xE8, kSite, kCommitCreds), {0x90}), kAltcallReplacement, 5, 0,
                         0x10, &to_commit_creds));
}

TEST_F(SiteForms, ParavirtIsADirectCallOrNops) {
    const Bytes g = {0xFF, 0x15, 0x10, 0x20, 0x30, 0x00};  // call *pv_ops+x(%rip)
    EXPECT_TRUE(allowed(PatchKind::paravirt, g, cat(rel32(0xE8, kSite, kCommitCreds), {0x90})));
    EXPECT_TRUE(allowed(PatchKind::paravirt, g, {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00}));
    EXPECT_FALSE(
        allowed(PatchKind::paravirt, g, cat(rel32(0xE8, kSite, kCommitCreds + 3), {0x90})));
    EXPECT_FALSE(allowed(PatchKind::paravirt, g, cat(rel32(0xE8, kSite, kCommitCreds), {0xC3})));
}

// With its pv_ops slot read from the guest, a paravirt site may call only
// what the slot holds, and be nops only if the slot holds _paravirt_nop.
TEST_F(SiteForms, ParavirtCallsGoWhereTheirSlotPoints) {
    const Bytes g = {0xFF, 0x15, 0x10, 0x20, 0x30, 0x00};
    const std::uint64_t slot = 0xffffffff82400010ull;
    const Bytes nops = {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00};
    const inspect::PointerValues to_commit_creds = {{slot, kCommitCreds}};
    const auto call = [](std::uint64_t to) { return cat(rel32(0xE8, kSite, to), {0x90}); };
    EXPECT_TRUE(
        allowed(PatchKind::paravirt, g, call(kCommitCreds), slot, 0, 0, 0, &to_commit_creds));
    EXPECT_FALSE(
        allowed(PatchKind::paravirt, g, call(kFtraceCaller), slot, 0, 0, 0, &to_commit_creds));
    EXPECT_FALSE(allowed(PatchKind::paravirt, g, nops, slot, 0, 0, 0, &to_commit_creds));
    const inspect::PointerValues to_nop = {{slot, kParavirtNop}};
    EXPECT_TRUE(allowed(PatchKind::paravirt, g, nops, slot, 0, 0, 0, &to_nop));
    EXPECT_FALSE(allowed(PatchKind::paravirt, g, call(kParavirtNop), slot, 0, 0, 0, &to_nop));
    // An empty slot: a call to paravirt_BUG.
    const inspect::PointerValues empty = {{slot, 0}};
    EXPECT_TRUE(allowed(PatchKind::paravirt, g, call(kParavirtBug), slot, 0, 0, 0, &empty));
    EXPECT_FALSE(allowed(PatchKind::paravirt, g, call(kCommitCreds), slot, 0, 0, 0, &empty));
    // A slot aimed at no function of the image (code loaded later) and its
    // site made to call there: refused, and why.
    const std::uint64_t loaded_later = 0xffffffffc0001000ull;
    const inspect::PointerValues to_loaded_later = {{slot, loaded_later}};
    EXPECT_FALSE(
        allowed(PatchKind::paravirt, g, call(loaded_later), slot, 0, 0, 0, &to_loaded_later));
    EXPECT_EQ(check_.paravirt_mismatch(PatchSite{kSite, 6, PatchKind::paravirt, slot},
                                       call(loaded_later), &to_loaded_later),
              "this paravirt call goes where its pv_ops slot points, 0xffffffffc0001000, which is "
              "no function of the image");
    // A slot not read: any function start, as without pointers.
    const inspect::PointerValues other = {{slot + 8, kCommitCreds}};
    EXPECT_TRUE(allowed(PatchKind::paravirt, g, call(kFtraceCaller), slot, 0, 0, 0, &other));
    // The reason a refused call is given.
    PatchSite site{kSite, 6, PatchKind::paravirt, slot};
    EXPECT_EQ(check_.paravirt_mismatch(site, call(kFtraceCaller), &to_commit_creds),
              "this paravirt call goes to ftrace_caller, but its pv_ops slot holds commit_creds");
    EXPECT_EQ(check_.paravirt_mismatch(site, nops, &to_commit_creds), "");
    EXPECT_EQ(check_.paravirt_mismatch(site, call(kFtraceCaller), &other), "");
}

TEST_F(SiteForms, OnlyAllowedSitesExplainAndCoveredRejectsAreDropped) {
    Bytes golden(64, 0xCC), found = golden;
    const std::uint64_t base = kSite;
    auto put = [](Bytes& b, std::size_t at, const Bytes& v) {
        std::copy(v.begin(), v.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
    };
    // An ftrace site at 0, hooked.
    put(golden, 0, rel32(0xE8, base, kText));
    put(found, 0, rel32(0xE8, base, kCommitCreds));
    // A lock prefix at 10, as a uniprocessor kernel leaves it.
    golden[10] = 0xF0;
    found[10] = 0x3E;
    // An unapplied alternative at 30 (10 bytes) holding a return site at 35
    // the kernel rewrote: the alternative's form fails, the return site's
    // explains every changed byte, so the alternative is not reported.
    put(golden, 35, rel32(0xE9, base + 35, kReturnThunk));
    put(found, 35, {0xC3, 0xCC, 0xCC, 0xCC, 0xCC});
    std::vector<PatchSite> sites = {
        {base, 5, PatchKind::ftrace},
        {base + 10, 1, PatchKind::lock_prefix},
        {base + 30, 10, PatchKind::alternative, testsupport::kRodataAddr, 5},
        {base + 35, 5, PatchKind::return_thunk},
        {base + 50, 5, PatchKind::ftrace},  // unchanged
        {base + 62, 5, PatchKind::ftrace},  // runs past the code: skipped
    };
    auto v = inspect::validate_sites(golden, found, base, sites, check_);
    EXPECT_EQ(v.changed, 4u);
    ASSERT_EQ(v.rejected.size(), 1u);
    EXPECT_EQ(v.rejected[0].address, base);
    EXPECT_EQ(v.rejected[0].kind, PatchKind::ftrace);
    ASSERT_EQ(v.allowed.size(), 3u);  // the lock prefix, the return site, the unchanged one
}

// A static call aimed at another existing function is an allowed form on
// its own; validate_sites rejects it because its key's trampoline goes
// elsewhere, and says so.
TEST_F(SiteForms, StaticCallsThatLeaveTheirTrampolineAreRejected) {
    const std::uint64_t base = kSite, key = 0xffffffff82000000ull;
    Bytes golden(kSct + 5 - base, 0xCC);
    auto put = [&](Bytes& b, std::uint64_t at, const Bytes& v) {
        std::copy(v.begin(), v.end(), b.begin() + static_cast<std::ptrdiff_t>(at - base));
    };
    put(golden, kSct, rel32(0xE9, kSct, kCommitCreds));  // the trampoline: jmp commit_creds
    put(golden, base, rel32(0xE8, base, kSct));
    put(golden, base + 16, rel32(0xE8, base + 16, kSct));
    Bytes found = golden;
    put(found, base, rel32(0xE8, base, kFtraceCaller));           // elsewhere
    put(found, base + 16, rel32(0xE8, base + 16, kCommitCreds));  // where the key goes
    const std::vector<PatchSite> sites = {{kSct, 5, PatchKind::static_call_trampoline, key},
                                          {base, 5, PatchKind::static_call, key},
                                          {base + 16, 5, PatchKind::static_call, key}};
    auto v = inspect::validate_sites(golden, found, base, sites, check_);
    EXPECT_EQ(v.changed, 2u);
    ASSERT_EQ(v.rejected.size(), 1u);
    EXPECT_EQ(v.rejected[0].address, base);
    ASSERT_EQ(v.reasons.count(base), 1u);
    EXPECT_NE(v.reasons[base].find("goes to ftrace_caller"), std::string::npos) << v.reasons[base];
    EXPECT_NE(v.reasons[base].find("goes to commit_creds"), std::string::npos) << v.reasons[base];
    EXPECT_EQ(v.allowed.size(), 2u);  // the trampoline and the agreeing site
}

namespace {

// A jump label left in the image's default form (a nop) while its key is
// enabled: no byte differs, yet validate_sites refuses it, and the
// comparison reports it, with its key's reason.
TEST_F(SiteForms, AJumpLabelInItsGoldenFormAgainstItsKeyIsReported) {
    const std::uint64_t base = kSite, key = 0xffffffff82000000ull;
    const Bytes nop5 = {0x0F, 0x1F, 0x44, 0x00, 0x00};
    Bytes golden(32, 0xCC);
    std::copy(nop5.begin(), nop5.end(), golden.begin());
    std::copy(nop5.begin(), nop5.end(), golden.begin() + 16);
    Bytes found = golden;
    const auto jmp = rel32(0xE9, base + 16, kCommitCreds);
    std::copy(jmp.begin(), jmp.end(), found.begin() + 16);  // enabled, as its key says
    std::vector<PatchSite> sites(2);
    for (int i = 0; i < 2; ++i) {
        sites[i] = {base + 16u * i, 5, PatchKind::jump_label, kCommitCreds};
        sites[i].key = key;
    }
    const inspect::StaticKeyCounts enabled = {{key, 1}};
    auto v = inspect::validate_sites(golden, found, base, sites, check_, nullptr, &enabled);
    ASSERT_EQ(v.rejected.size(), 1u);
    EXPECT_EQ(v.rejected[0].address, base);
    auto symbolize = [](std::uint64_t va) { return binary::hex_number(va); };
    auto c = inspect::compare_code(golden, found, base, v.allowed, symbolize);
    EXPECT_TRUE(c.intact());  // byte for byte, nothing to see
    inspect::report_unseen_refused_sites(c, golden, found, base, v.rejected, symbolize);
    inspect::note_rejected_sites(c, v.rejected, v.reasons);
    EXPECT_EQ(c.bytes_unexplained, 5u);
    ASSERT_EQ(c.unexplained.size(), 1u);
    EXPECT_EQ(c.unexplained[0].address, base);
    EXPECT_EQ(c.unexplained[0].found, nop5);
    EXPECT_EQ(c.unexplained[0].note.rfind("in a jump label site, this jump label is disabled, but "
                                          "its key ",
                                          0),
              0u)
        << c.unexplained[0].note;
    EXPECT_NE(c.unexplained[0].note.find(" is enabled (count 1)"), std::string::npos);
}

}  // namespace

namespace {

// Xen's sealable endbr64: the golden endbr64, or nopw (%rcx) over it;
// nothing else (another nop would not say it was an endbr64).
TEST_F(SiteForms, AnEndbr64IsSealedOnlyWithNopwRcx) {
    const Bytes endbr = {0xF3, 0x0F, 0x1E, 0xFA};
    EXPECT_TRUE(allowed(PatchKind::xen_endbr_seal, endbr, endbr));
    EXPECT_TRUE(allowed(PatchKind::xen_endbr_seal, endbr, {0x66, 0x0F, 0x1F, 0x01}));
    EXPECT_FALSE(allowed(PatchKind::xen_endbr_seal, endbr, {0x0F, 0x1F, 0x40, 0x00}));
    EXPECT_FALSE(allowed(PatchKind::xen_endbr_seal, endbr, {0xCC, 0xCC, 0xCC, 0xCC}));
}

}  // namespace

namespace {

// A pv_ops slot must name a function the image keeps after boot: a weak
// default is one, an init function (freed) is not.
TEST_F(SiteForms, ParavirtSlotsNameFunctionsKeptAfterBoot) {
    const Bytes g = {0xFF, 0x15, 0x10, 0x20, 0x30, 0x00};
    const std::uint64_t slot = 0xffffffff82400010ull;
    const auto call = [](std::uint64_t to) { return cat(rel32(0xE8, kSite, to), {0x90}); };
    const inspect::PointerValues to_weak = {{slot, kWeakFunction}};
    EXPECT_TRUE(allowed(PatchKind::paravirt, g, call(kWeakFunction), slot, 0, 0, 0, &to_weak));
    const inspect::PointerValues to_init = {{slot, kInitFunction}};
    EXPECT_FALSE(allowed(PatchKind::paravirt, g, call(kInitFunction), slot, 0, 0, 0, &to_init));
}

}  // namespace
