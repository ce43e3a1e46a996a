// Rewrites the image makes everywhere or nowhere, whose one form hardens
// the code: lock prefixes (Linux rewrites them all at once: f0, a lock, on
// a kernel that may run on more than one CPU; 3e, a DS prefix, on all of
// them when it runs uniprocessor, alternatives_smp_unlock) and sealed
// endbr64 (Xen on CET-IBT hardware turns the endbr64 at every function
// its cf_clobber tables point to into `nopw (%rcx)`, so no hijacked
// pointer can branch there). Each site alone may hold either form
// (patch_site_forms.hpp), so one atomic instruction quietly made
// non-atomic, or one function made a branch target again, passes the form
// check; it does not pass this one. Where most sites are hardened, the
// others are refused; where most are not (a uniprocessor kernel, a CPU
// without IBT), a hardened one is harmless and passes. Seals are judged
// among the functions the image's cf_clobber tables name (PatchSite::
// target set): Xen may seal others its tables gained at boot.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "binary/bytes.hpp"
#include "inspect/linux_patch_sites.hpp"
#include "inspect/static_call_consistency.hpp"

namespace drtm::inspect {

// Among `sites` (those whose forms are allowed; `found` starts at `base`),
// the lock prefixes and endbr64 seal sites left unhardened where most of
// their kind are hardened.
std::vector<DisagreeingSite> unhardened_sites(binary::ByteView found, std::uint64_t base,
                                              std::span<const PatchSite> sites);

// endbr64, and what Xen writes over one it seals: nopw (%rcx).
inline constexpr std::uint8_t kEndbr64[] = {0xF3, 0x0F, 0x1E, 0xFA};
inline constexpr std::uint8_t kEndbr64Poison[] = {0x66, 0x0F, 0x1F, 0x01};

}  // namespace drtm::inspect
