#include "inspect/hardening_consistency.hpp"

#include <algorithm>
#include <string>

namespace drtm::inspect {

namespace {

constexpr std::uint8_t kLock[] = {0xF0};

struct Hardening {
    PatchKind kind;
    binary::ByteView hardened;
    const char* site;  // "this <site> is <weak>"
    const char* weak;
    const char* hardened_name;  // "... of the image's N are <hardened_name>"
};

const Hardening kHardenings[] = {
    {PatchKind::lock_prefix, kLock, "lock prefix", "unlocked (3e)", "locks"},
    {PatchKind::xen_endbr_seal, kEndbr64Poison, "function entry", "still an endbr64",
     "sealed (CET-IBT is on)"},
};

}  // namespace

std::vector<DisagreeingSite> unhardened_sites(binary::ByteView found, std::uint64_t base,
                                              std::span<const PatchSite> sites) {
    std::vector<DisagreeingSite> out;
    for (const auto& h : kHardenings) {
        std::vector<const PatchSite*> hardened, weak;
        for (const auto& s : sites) {
            // Only the seals the image's own tables call for must agree.
            if (s.kind == PatchKind::xen_endbr_seal && s.target == 0) continue;
            if (s.kind != h.kind || s.address < base ||
                s.address - base + h.hardened.size() > found.size())
                continue;
            const auto bytes = found.subspan(s.address - base, h.hardened.size());
            (std::equal(bytes.begin(), bytes.end(), h.hardened.begin()) ? hardened : weak)
                .push_back(&s);
        }
        if (hardened.size() < weak.size()) continue;
        for (const auto* s : weak)
            out.push_back({*s, std::string("this ") + h.site + " is " + h.weak + ", but " +
                                   std::to_string(hardened.size()) + " of the image's " +
                                   std::to_string(hardened.size() + weak.size()) + " are " +
                                   h.hardened_name});
    }
    return out;
}

}  // namespace drtm::inspect
