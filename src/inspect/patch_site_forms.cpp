#include "inspect/patch_site_forms.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <unordered_set>

#include "inspect/hardening_consistency.hpp"

namespace drtm::inspect {

namespace {

using binary::ByteView;

constexpr std::array<std::uint8_t, 5> kNop5 = {0x0F, 0x1F, 0x44, 0x00, 0x00};
constexpr std::array<std::uint8_t, 5> kRetInt3 = {0xC3, 0xCC, 0xCC, 0xCC, 0xCC};
// A static call to __static_call_return0, inlined: cs cs cs xor %eax,%eax.
constexpr std::array<std::uint8_t, 5> kXorEax5 = {0x2E, 0x2E, 0x2E, 0x31, 0xC0};
constexpr std::uint8_t kCall = 0xE8, kJmp = 0xE9, kJmp8 = 0xEB;
// ud2; ud0 %edi,%edi: what Xen writes at an altcall whose pointer is NULL.
constexpr std::array<std::uint8_t, 5> kUd2Ud0 = {0x0F, 0x0B, 0x0F, 0xFF, 0xFF};
// X86_FEATURE_ALWAYS in Xen 4.17: the feature of every altcall entry.
constexpr std::uint16_t kXenFeatureAlways = 0x5D;

// The nop encodings the kernel's x86_nops table and the SDM list, longest first.
const std::vector<std::vector<std::uint8_t>>& nop_encodings() {
    static const std::vector<std::vector<std::uint8_t>> nops = {
        {0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
        {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
        {0x0F, 0x1F, 0x44, 0x00, 0x00},
        {0x0F, 0x1F, 0x40, 0x00},
        {0x0F, 0x1F, 0x00},
        // Operand-size prefixed nops: Xen's K8 nops (its choice on AMD
        // family <= 0Fh, which QEMU's qemu64 reports), 2-8 bytes as runs of
        // these four.
        {0x66, 0x66, 0x66, 0x90},
        {0x66, 0x66, 0x90},
        {0x66, 0x90},
        {0x90},
    };
    return nops;
}

bool equals(ByteView a, std::span<const std::uint8_t> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

std::int32_t s32_at(ByteView b, std::size_t i) {
    std::int32_t v;
    std::memcpy(&v, b.data() + i, 4);  // x86 is little-endian, as the image
    return v;
}

// Where a rel32 call/jmp at `at` (opcode at byte 0) goes.
std::uint64_t rel32_target(ByteView insn, std::uint64_t at) {
    return at + 5 + static_cast<std::uint64_t>(static_cast<std::int64_t>(s32_at(insn, 1)));
}

bool is_int3_run(ByteView b) {
    return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c == 0xCC; });
}

// The thunk's register: the name's last "_" field (…thunk_rax, …thunk_r11).
int register_index(std::string_view thunk) {
    static const char* const names[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                        "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    const auto reg = thunk.substr(thunk.rfind('_') + 1);
    for (int i = 0; i < 16; ++i)
        if (reg == names[i]) return i;
    return -1;
}

}  // namespace

std::optional<std::uint64_t> indirect_call_pointer(std::uint64_t address, ByteView code) {
    if (code.size() < 6 || code[0] != 0xFF || (code[1] != 0x15 && code[1] != 0x25))
        return std::nullopt;
    return address + 6 + static_cast<std::uint64_t>(static_cast<std::int64_t>(s32_at(code, 2)));
}

bool is_nop_run(ByteView b) {
    std::size_t i = 0;
    while (i < b.size()) {
        const auto rest = b.subspan(i);
        // A short jmp over int3 padding (how long runs are filled).
        if (rest.size() >= 2 && rest[0] == kJmp8 && 2u + rest[1] <= rest.size() &&
            is_int3_run(rest.subspan(2, rest[1]))) {
            i += 2u + rest[1];
            continue;
        }
        bool matched = false;
        for (const auto& nop : nop_encodings())
            if (nop.size() <= rest.size() && std::equal(nop.begin(), nop.end(), rest.begin())) {
                i += nop.size();
                matched = true;
                break;
            }
        if (!matched) return false;
    }
    return true;
}

SiteFormChecker::SiteFormChecker(const image::ElfImage& golden, const image::KernelSymbols& symbols)
    : elf_(golden),
      symbols_(symbols),
      paravirt_nop_(symbols.address("_paravirt_nop")),
      init_begin_(symbols.address("__init_begin").value_or(0)),
      init_end_(symbols.address("__init_end").value_or(0)) {}

bool SiteFormChecker::is_function(std::uint64_t address) const {
    for (const auto& s : symbols_.at(address))
        if (s.type == 'T' || s.type == 't' || s.type == 'W') return true;  // w: weak undefined
    return false;
}

bool SiteFormChecker::is_function_after_boot(std::uint64_t address) const {
    return is_function(address) && !(address >= init_begin_ && address < init_end_);
}

bool SiteFormChecker::symbol_named(std::uint64_t address, bool (*match)(std::string_view)) const {
    for (const auto& s : symbols_.at(address))
        if (match(s.name)) return true;
    return false;
}

bool SiteFormChecker::allowed(const PatchSite& s, ByteView golden, ByteView found,
                              const PointerValues* pointers) const {
    if (golden.size() != found.size()) return false;
    if (std::equal(golden.begin(), golden.end(), found.begin())) return true;
    const std::uint64_t at = s.address;
    switch (s.kind) {
        case PatchKind::xen_endbr_seal:
            return equals(found, kEndbr64Poison);
        case PatchKind::lock_prefix:
            return found.size() == 1 && (found[0] == 0xF0 || found[0] == 0x3E);
        case PatchKind::return_thunk:
            return equals(found, kRetInt3) ||
                   (found.size() == 5 && found[0] == kJmp &&
                    symbol_named(rel32_target(found, at), [](std::string_view n) {
                        return n.find("return_thunk") != n.npos || n.find("untrain_ret") != n.npos;
                    }));
        case PatchKind::ftrace:
            return equals(found, kNop5) ||
                   (found.size() == 5 && found[0] == kCall &&
                    symbol_named(rel32_target(found, at), [](std::string_view n) {
                        return n == "ftrace_caller" || n == "ftrace_regs_caller";
                    }));
        case PatchKind::static_call:
        case PatchKind::static_call_trampoline:
            if (found.size() != 5) return false;
            if (golden[0] == kCall)
                return equals(found, kNop5) || equals(found, kXorEax5) ||
                       (found[0] == kCall && is_function(rel32_target(found, at)));
            // A tail call (and every trampoline): jmp, or ret for a NULL target.
            return equals(found, kRetInt3) ||
                   (found[0] == kJmp && is_function(rel32_target(found, at)));
        case PatchKind::jump_label:
            if (found.size() == 2)
                return (found[0] == 0x66 && found[1] == 0x90) ||
                       (found[0] == kJmp8 &&
                        at + 2 +
                                static_cast<std::uint64_t>(static_cast<std::int64_t>(
                                    static_cast<std::int8_t>(found[1]))) ==
                            s.target);
            return equals(found, kNop5) ||
                   (found.size() == 5 && found[0] == kJmp && rel32_target(found, at) == s.target);
        case PatchKind::xen_pv_iret:
            return found.size() == 5 && found[0] == kJmp && rel32_target(found, at) == s.target;
        case PatchKind::retpoline:
            return retpoline(s, golden, found);
        case PatchKind::alternative:
            return alternative(s, golden, found);
        case PatchKind::xen_alternative:
            return xen_alternative(s, golden, found, pointers);
        case PatchKind::paravirt: {
            // A call to an operation that does nothing (paravirt_nop) is nops.
            const bool call =
                found.size() >= 5 && found[0] == kCall && is_nop_run(found.subspan(5));
            if (pointers && s.target)
                if (const auto slot = pointers->find(s.target); slot != pointers->end()) {
                    // The kernel patched a call to what the slot holds, a
                    // function of the image (a slot aimed elsewhere, at code
                    // loaded later, is no operation the image has); an
                    // empty slot, a call to paravirt_BUG.
                    if (paravirt_nop_ && slot->second == *paravirt_nop_) return is_nop_run(found);
                    const auto expected = slot->second ? std::optional(slot->second)
                                                       : symbols_.address("paravirt_BUG");
                    return call && expected && rel32_target(found, at) == *expected &&
                           is_function_after_boot(*expected);
                }
            return is_nop_run(found) || (call && is_function(rel32_target(found, at)));
        }
    }
    return false;
}

std::string SiteFormChecker::paravirt_mismatch(const PatchSite& s, ByteView found,
                                               const PointerValues* pointers) const {
    if (s.kind != PatchKind::paravirt || !pointers || !s.target || found.size() < 5 ||
        found[0] != kCall)
        return "";
    const auto slot = pointers->find(s.target);
    if (slot == pointers->end()) return "";
    const auto target = rel32_target(found, s.address);
    if (target == slot->second && slot->second && !is_function_after_boot(slot->second))
        return "this paravirt call goes where its pv_ops slot points, " +
               binary::hex_number(slot->second) + ", which is no function of the image";
    return "this paravirt call goes to " + symbols_.symbolize(target) +
           ", but its pv_ops slot holds " + symbols_.symbolize(slot->second);
}

bool SiteFormChecker::retpoline(const PatchSite& s, ByteView golden, ByteView found) const {
    // The golden call/jmp/Jcc and the thunk (hence the register) it uses.
    std::uint64_t thunk = 0;
    std::size_t target_at = 1;  // where the rel32 is
    bool is_call = false, is_jcc = false;
    if ((golden[0] == kCall || golden[0] == kJmp) && golden.size() == 5) {
        is_call = golden[0] == kCall;
    } else if (golden.size() == 6 && golden[0] == 0x0F && (golden[1] & 0xF0) == 0x80) {
        is_jcc = true;
        target_at = 2;
    } else {
        return false;
    }
    auto rel_target = [&](ByteView b) {
        return s.address + golden.size() +
               static_cast<std::uint64_t>(static_cast<std::int64_t>(s32_at(b, target_at)));
    };
    thunk = rel_target(golden);
    // The thunk's register; aliases at the same address (the thunk array)
    // name none, so the first register found counts.
    auto thunk_register = [&](std::uint64_t address) {
        for (const auto& sym : symbols_.at(address))
            if (sym.name.starts_with("__x86_indirect_"))
                if (int r = register_index(sym.name); r >= 0) return r;
        return -1;
    };
    const int reg = thunk_register(thunk);
    if (reg < 0) return false;
    // The same branch to another thunk of the same register (ITS thunks).
    if (found[0] == golden[0] && (!is_jcc || found[1] == golden[1]))
        return thunk_register(rel_target(found)) == reg;
    // apply_retpolines' rewrite: [Jncc.d8 over it] [lfence] call/jmp *%reg,
    // an int3 after a jmp, nops to the end.
    std::size_t i = 0;
    if (is_jcc) {
        const std::uint8_t inverted = static_cast<std::uint8_t>(0x70 + ((golden[1] & 0x0F) ^ 1));
        if (found[0] != inverted || found[1] != golden.size() - 2) return false;
        i = 2;
    }
    if (i + 3 <= found.size() && found[i] == 0x0F && found[i + 1] == 0xAE && found[i + 2] == 0xE8)
        i += 3;
    if (reg >= 8) {
        if (i >= found.size() || found[i] != 0x41) return false;
        ++i;
    }
    const std::uint8_t modrm = static_cast<std::uint8_t>((is_call ? 0xD0 : 0xE0) + (reg & 7));
    if (i + 2 > found.size() || found[i] != 0xFF || found[i + 1] != modrm) return false;
    i += 2;
    if (!is_call && i < found.size() && found[i] == 0xCC) ++i;
    return is_nop_run(found.subspan(i));
}

// An alternative's replacement bytes from the golden image; none when they
// are longer than the site or not in the image.
std::optional<ByteView> SiteFormChecker::replacement_of(const PatchSite& s,
                                                        std::size_t site_size) const {
    if (s.replacement_length > site_size) return std::nullopt;
    try {
        return elf_.bytes_at(s.target, s.replacement_length);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool SiteFormChecker::alternative(const PatchSite& s, ByteView golden, ByteView found) const {
    // Not applied: the original, its 0x90 padding re-encoded as long nops.
    bool original = true;
    for (std::size_t i = 0; i < golden.size() && original;) {
        if (golden[i] != 0x90) {
            original = golden[i] == found[i];
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < golden.size() && golden[j] == 0x90) ++j;
        original = is_nop_run(found.subspan(i, j - i));
        i = j;
    }
    if (original) return true;

    // Applied: the replacement, with rel32 calls/jmps re-based to the site.
    const auto replacement = replacement_of(s, found.size());
    if (!replacement) return false;
    const ByteView repl = *replacement;
    std::size_t i = 0;
    while (i < repl.size()) {
        if ((repl[i] == kCall || repl[i] == kJmp) && i + 5 <= repl.size()) {
            const auto want = rel32_target(repl.subspan(i), s.target + i);
            if (found[i] == repl[i] && rel32_target(found.subspan(i), s.address + i) == want) {
                i += 5;
                continue;
            }
            // A leading jmp the kernel shortened to jmp rel8 + a 3-byte nop.
            if (i == 0 && repl[0] == kJmp && found[0] == kJmp8 &&
                s.address + 2 +
                        static_cast<std::uint64_t>(
                            static_cast<std::int64_t>(static_cast<std::int8_t>(found[1]))) ==
                    want &&
                is_nop_run(found.subspan(2, 3))) {
                i += 5;
                continue;
            }
        }
        if (found[i] != repl[i]) return false;
        ++i;
    }
    return is_nop_run(found.subspan(repl.size()));
}

// Xen 4.17 (alternative.c, _apply_alternatives): the original is never
// changed, only its padding, re-encoded with Xen's nops; or the
// replacement is copied, only its leading call/jmp re-based, the rest nops;
// or, for an altcall, a direct call.
bool SiteFormChecker::xen_alternative(const PatchSite& s, ByteView golden, ByteView found,
                                      const PointerValues* pointers) const {
    const std::size_t unpadded = golden.size() - std::min<std::size_t>(s.padding, golden.size());
    if (std::equal(golden.begin(), golden.begin() + static_cast<std::ptrdiff_t>(unpadded),
                   found.begin()) &&
        is_nop_run(golden.subspan(unpadded)) && is_nop_run(found.subspan(unpadded)))
        return true;
    const auto replacement = replacement_of(s, found.size());
    if (!replacement) return false;
    const ByteView repl = *replacement;
    const bool branch = repl.size() >= 5 && (repl[0] == kCall || repl[0] == kJmp);
    if (branch && s32_at(repl, 1) == -5 && s.feature == kXenFeatureAlways && golden.size() >= 6 &&
        golden[0] == 0xFF && golden[1] == (repl[0] == kCall ? 0x15 : 0x25))
        return xen_altcall(s, repl[0], golden, found, pointers);
    std::size_t i = 0;
    if (branch) {
        if (found[0] != repl[0] || rel32_target(found, s.address) != rel32_target(repl, s.target))
            return false;
        i = 5;
    }
    if (!std::equal(repl.begin() + static_cast<std::ptrdiff_t>(i), repl.end(),
                    found.begin() + static_cast<std::ptrdiff_t>(i)))
        return false;
    return is_nop_run(found.subspan(repl.size()));
}

// An altcall: `call *ptr(%rip)` whose replacement is `call .` becomes a
// direct call to the pointer's value, past its endbr64 when the golden
// function starts with one (Xen built for CET-IBT), or `ud2; ud0` when the
// pointer is NULL; a nop follows. With the pointer read from the guest, the
// target must be exactly that; a pointer in memory Xen freed (init data)
// cannot be read, and then only a function start in .text (or past its
// endbr64) or ud2 is accepted.
bool SiteFormChecker::xen_altcall(const PatchSite& s, std::uint8_t opcode, ByteView golden,
                                  ByteView found, const PointerValues* pointers) const {
    const std::uint64_t pointer = *indirect_call_pointer(s.address, golden);
    std::optional<std::uint64_t> value;
    if (pointers)
        if (auto it = pointers->find(pointer); it != pointers->end()) value = it->second;
    auto starts_with_endbr64 = [&](std::uint64_t va) {
        try {
            return equals(elf_.bytes_at(va, std::size(kEndbr64)), kEndbr64);
        } catch (const std::exception&) {
            return false;
        }
    };
    bool ok = false;
    if (equals(found.first(kUd2Ud0.size()), kUd2Ud0)) {
        ok = !value || *value == 0;
    } else if (found[0] == opcode) {
        const auto target = rel32_target(found, s.address);
        const auto* text = elf_.section(".text");
        auto function_in_text = [&](std::uint64_t va) {
            return text && text->contains(va) && is_function(va);
        };
        if (value) {
            // Exactly the pointer's function, which must be one of the image.
            ok = is_function_after_boot(*value) &&
                 (target == *value || (target == *value + 4 && starts_with_endbr64(*value)));
        } else {
            ok = function_in_text(target) ||
                 (target >= 4 && function_in_text(target - 4) && starts_with_endbr64(target - 4));
        }
    }
    return ok && is_nop_run(found.subspan(5));
}

SiteValidation validate_sites(ByteView golden, ByteView found, std::uint64_t base,
                              const std::vector<PatchSite>& sites, const SiteFormChecker& check,
                              const PointerValues* pointers, const StaticKeyCounts* static_keys) {
    SiteValidation v;
    const std::size_t n = std::min(golden.size(), found.size());
    for (const auto& s : sites) {
        if (s.address < base || s.address - base >= n || s.length > n - (s.address - base))
            continue;
        const std::size_t off = s.address - base;
        const auto g = golden.subspan(off, s.length), f = found.subspan(off, s.length);
        if (std::equal(g.begin(), g.end(), f.begin())) {
            v.allowed.push_back(s);
            continue;
        }
        ++v.changed;
        (check.allowed(s, g, f, pointers) ? v.allowed : v.rejected).push_back(s);
    }
    for (const auto& s : v.rejected)
        if (auto why =
                check.paravirt_mismatch(s, found.subspan(s.address - base, s.length), pointers);
            !why.empty())
            v.reasons[s.address] = std::move(why);
    // Sites that must agree with others: static calls with their key's
    // trampoline, jump labels with the key's count, lock prefixes with
    // each other.
    auto disagreeing = static_calls_disagreeing(found, base, v.allowed, check.symbols());
    for (auto& d : jump_labels_disagreeing(found, base, v.allowed, check.symbols(), static_keys))
        disagreeing.push_back(std::move(d));
    for (auto& d : unhardened_sites(found, base, v.allowed)) disagreeing.push_back(std::move(d));
    std::unordered_set<std::uint64_t> refused;
    if (!disagreeing.empty()) {
        for (auto& d : disagreeing) {
            refused.insert(d.site.address);
            v.rejected.push_back(d.site);
            v.reasons[d.site.address] = std::move(d.reason);
        }
        std::erase_if(v.allowed, [&](const PatchSite& s) {
            return (s.kind == PatchKind::static_call || s.kind == PatchKind::jump_label ||
                    s.kind == PatchKind::lock_prefix || s.kind == PatchKind::xen_endbr_seal) &&
                   refused.contains(s.address);
        });
    }
    // Sites overlap: a paravirt call the alternatives replaced with native
    // code is no paravirt form, but its alternative's; an alternative left
    // unapplied holds a return site the kernel rewrote. A rejected site whose
    // changed bytes allowed sites cover hides nothing, unless it disagrees
    // with its key (its golden form may be the wrong one).
    std::vector<std::uint8_t> covered(n, 0);
    for (const auto& s : v.allowed)
        std::fill_n(covered.begin() + static_cast<std::ptrdiff_t>(s.address - base), s.length, 1);
    std::erase_if(v.rejected, [&](const PatchSite& s) {
        if (refused.contains(s.address)) return false;
        const std::size_t off = s.address - base;
        for (std::size_t i = off; i < off + s.length; ++i)
            if (golden[i] != found[i] && !covered[i]) return false;
        return true;
    });
    return v;
}

}  // namespace drtm::inspect
