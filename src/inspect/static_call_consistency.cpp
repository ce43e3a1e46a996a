#include "inspect/static_call_consistency.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>

namespace drtm::inspect {

namespace {

using binary::ByteView;

constexpr std::array<std::uint8_t, 5> kNop5 = {0x0F, 0x1F, 0x44, 0x00, 0x00};
constexpr std::array<std::uint8_t, 5> kXorEax5 = {0x2E, 0x2E, 0x2E, 0x31, 0xC0};
constexpr std::uint8_t kCall = 0xE8, kJmp = 0xE9, kRet = 0xC3;

// What a static-call instruction does: calls (or jumps to) `function`,
// does nothing (a NULL function), or goes through its trampoline.
struct Effect {
    enum Kind { function, null, trampoline, unknown } kind = unknown;
    std::uint64_t address = 0;
};

class Decoder {
  public:
    explicit Decoder(const image::KernelSymbols& symbols)
        : symbols_(symbols), return0_(symbols.address("__static_call_return0").value_or(0)) {}

    Effect decode(ByteView insn, std::uint64_t at, std::uint64_t trampoline) const {
        if (insn.size() != 5) return {};
        if (std::equal(insn.begin(), insn.end(), kNop5.begin()) || insn[0] == kRet)
            return {Effect::null, 0};
        if (std::equal(insn.begin(), insn.end(), kXorEax5.begin()))
            return return0_ ? Effect{Effect::function, return0_} : Effect{};
        if (insn[0] != kCall && insn[0] != kJmp) return {};
        std::int32_t rel;
        std::memcpy(&rel, insn.data() + 1, 4);
        const std::uint64_t to = at + 5 + static_cast<std::uint64_t>(std::int64_t{rel});
        if (to == trampoline) return {Effect::trampoline, to};
        // With return thunks on, a NULL function's `ret` is a jmp to the thunk.
        if (insn[0] == kJmp && is_return_thunk(to)) return {Effect::null, 0};
        return {Effect::function, to};
    }

    std::string describe(const Effect& e) const {
        switch (e.kind) {
            case Effect::function:
                return "goes to " + symbols_.symbolize(e.address);
            case Effect::null:
                return "does nothing (a NULL function)";
            case Effect::trampoline:
                return "goes through the trampoline";
            case Effect::unknown:
                break;
        }
        return "holds an unknown instruction";
    }

  private:
    // What x86_return_thunk may point to (as the return-site form check).
    bool is_return_thunk(std::uint64_t address) const {
        for (const auto& s : symbols_.at(address))
            if (s.name.find("return_thunk") != std::string::npos ||
                s.name.find("untrain_ret") != std::string::npos)
                return true;
        return false;
    }
    const image::KernelSymbols& symbols_;
    std::uint64_t return0_;
};

}  // namespace

std::vector<DisagreeingSite> static_calls_disagreeing(ByteView found, std::uint64_t base,
                                                      std::span<const PatchSite> sites,
                                                      const image::KernelSymbols& symbols) {
    const Decoder decoder(symbols);
    const std::size_t n = found.size();
    auto bytes_at = [&](const PatchSite& s) -> std::optional<ByteView> {
        if (s.address < base || s.address - base >= n || s.length > n - (s.address - base))
            return std::nullopt;
        return found.subspan(s.address - base, s.length);
    };
    // Each key's trampoline: where it is and what it does now.
    struct Trampoline {
        std::uint64_t address;
        Effect effect;
    };
    std::unordered_map<std::uint64_t, Trampoline> trampolines;
    for (const auto& s : sites)
        if (s.kind == PatchKind::static_call_trampoline && s.target != 0)
            if (auto b = bytes_at(s))
                trampolines[s.target] = {s.address, decoder.decode(*b, s.address, 0)};
    std::vector<DisagreeingSite> out;
    for (const auto& s : sites) {
        if (s.kind != PatchKind::static_call) continue;
        const auto t = trampolines.find(s.target);
        const auto b = bytes_at(s);
        if (t == trampolines.end() || !b || t->second.effect.kind == Effect::unknown) continue;
        const auto site = decoder.decode(*b, s.address, t->second.address);
        const auto& expected = t->second.effect;
        if (site.kind == Effect::trampoline ||
            (site.kind == expected.kind && site.address == expected.address))
            continue;
        out.push_back({s, "this static call " + decoder.describe(site) + ", but its key's " +
                              symbols.symbolize(t->second.address) + " " +
                              decoder.describe(expected)});
    }
    return out;
}

}  // namespace drtm::inspect
