// Lock prefixes agree with each other. The kernel rewrites its lock
// prefixes all at once: f0 (lock) on a kernel that may run on more than
// one CPU, 3e (a DS prefix, no lock) on all of them when it runs
// uniprocessor (alternatives_smp_unlock), and back to f0 when a second CPU
// comes up. Each site alone may hold either (patch_site_forms.hpp), so one
// atomic instruction quietly made non-atomic (a race to win later) passes
// the form check; it does not pass this one. On a kernel whose prefixes
// are mostly locks, the unlocked ones are refused; on a uniprocessor one,
// a lock left or put back is harmless and passes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "binary/bytes.hpp"
#include "inspect/linux_patch_sites.hpp"
#include "inspect/static_call_consistency.hpp"

namespace drtm::inspect {

// Among `sites` (those whose forms are allowed), the unlocked lock-prefix
// sites of a kernel whose others are mostly locks (`found` starts at `base`).
std::vector<DisagreeingSite> lock_prefixes_disagreeing(binary::ByteView found, std::uint64_t base,
                                                       std::span<const PatchSite> sites);

}  // namespace drtm::inspect
