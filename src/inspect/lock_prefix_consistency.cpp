#include "inspect/lock_prefix_consistency.hpp"

#include <string>

namespace drtm::inspect {

std::vector<DisagreeingSite> lock_prefixes_disagreeing(binary::ByteView found, std::uint64_t base,
                                                       std::span<const PatchSite> sites) {
    constexpr std::uint8_t kLock = 0xF0;
    std::vector<const PatchSite*> locked, unlocked;
    for (const auto& s : sites) {
        if (s.kind != PatchKind::lock_prefix || s.address < base ||
            s.address - base >= found.size())
            continue;
        (found[s.address - base] == kLock ? locked : unlocked).push_back(&s);
    }
    // Most locked: the unlocked few are refused. Most unlocked (a
    // uniprocessor kernel): a lock is harmless, nothing is refused.
    std::vector<DisagreeingSite> out;
    if (locked.size() < unlocked.size()) return out;
    for (const auto* s : unlocked)
        out.push_back({*s, "this lock prefix is unlocked (3e), but " +
                               std::to_string(locked.size()) + " of the kernel's " +
                               std::to_string(locked.size() + unlocked.size()) + " are locks"});
    return out;
}

}  // namespace drtm::inspect
