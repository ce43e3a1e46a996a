#include "inspect/jump_label_consistency.hpp"

#include <map>

#include "inspect/code_patching_locks.hpp"

namespace drtm::inspect {

namespace {

bool jumps(binary::ByteView code) {
    return !code.empty() && (code[0] == 0xE9 || code[0] == 0xEB);
}

}  // namespace

StaticKeyReading static_key_counts(std::span<const std::uint64_t> keys,
                                   std::span<const std::uint64_t> raw,
                                   std::optional<std::uint64_t> mutex_owner) {
    StaticKeyReading out;
    out.judged = !mutex_owner || !mutex_held(*mutex_owner);
    for (std::size_t i = 0; i < keys.size() && i < raw.size(); ++i) {
        const auto count = static_cast<std::int32_t>(static_cast<std::uint32_t>(raw[i]));
        out.counts[keys[i]] = !out.judged ? -1 : count >= 0 ? count : mutex_owner ? 1 : -1;
    }
    return out;
}

std::vector<DisagreeingSite> jump_labels_disagreeing(binary::ByteView found, std::uint64_t base,
                                                     std::span<const PatchSite> sites,
                                                     const image::KernelSymbols& symbols,
                                                     const StaticKeyCounts* counts) {
    struct Site {
        const PatchSite* site;
        bool enabled;  // what its code says of its key
    };
    std::map<std::uint64_t, std::vector<Site>> by_key;
    for (const auto& s : sites) {
        if (s.kind != PatchKind::jump_label || !s.key || s.address < base ||
            s.address - base + s.length > found.size())
            continue;
        const bool jmp = jumps(found.subspan(s.address - base, s.length));
        by_key[s.key].push_back({&s, jmp != s.branch});
    }
    std::vector<DisagreeingSite> out;
    for (const auto& [key, members] : by_key) {
        const auto name = symbols.symbolize(key);
        std::size_t enabled = 0;
        for (const auto& m : members) enabled += m.enabled;
        const std::size_t disabled = members.size() - enabled;
        bool expected = false;
        std::string why;
        if (counts)
            if (auto it = counts->find(key); it != counts->end()) {
                if (it->second < 0) continue;  // being switched as we look
                expected = it->second > 0;
                why = "its key " + name + " is " + (expected ? "enabled" : "disabled") +
                      " (count " + std::to_string(it->second) + ")";
            }
        if (why.empty()) {
            if (enabled == disabled) {
                // No majority: every site is as suspect as the others.
                for (const auto& m : members)
                    out.push_back({*m.site, "the sites of key " + name + " disagree: " +
                                                std::to_string(enabled) + " enabled, " +
                                                std::to_string(disabled) + " disabled"});
                continue;
            }
            expected = enabled > disabled;
            why = std::to_string(expected ? enabled : disabled) + " of the " +
                  std::to_string(members.size()) + " sites of its key " + name + " are " +
                  (expected ? "enabled" : "disabled");
        }
        for (const auto& m : members)
            if (m.enabled != expected)
                out.push_back({*m.site, std::string("this jump label is ") +
                                            (m.enabled ? "enabled" : "disabled") + ", but " + why});
    }
    return out;
}

}  // namespace drtm::inspect
