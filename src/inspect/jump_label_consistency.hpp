// Jump labels agree with their keys. static_key_enable()/disable() set the
// key's count and then rewrite every site of that key: a jmp to the site's
// target exactly when (enabled XOR the entry's branch bit), else a nop. Each
// site alone may hold either form (patch_site_forms.hpp), so a guest that
// flips one site of a key, turning on (or off) one check of many, passes
// the form check; it does not pass this one. With the key's count read in
// the pause, every site must follow it; without it, the sites of a key must
// agree with each other (the fewer are refused). A count below 0 is a key
// the caller cannot judge (the kernel holds jump_label_mutex: it is
// switching a key, and sites may be half-written): its sites are not judged.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "binary/bytes.hpp"
#include "image/kallsyms.hpp"
#include "inspect/linux_patch_sites.hpp"
#include "inspect/static_call_consistency.hpp"

namespace drtm::inspect {

// static_key.enabled as read in the pause, by the key's link address.
using StaticKeyCounts = std::unordered_map<std::uint64_t, std::int32_t>;

// The counts to judge by, from the static_key.enabled words read in the
// pause (`raw`, one per key of `keys`: an atomic_t, the word's low 4 bytes)
// and jump_label_mutex's owner word (none when not read). Every change of a
// key and its sites happens under that mutex; held (its owner, flag bits
// 0-2 aside, non-zero), no key is judged (`judged` false, every count -1).
// Free, a negative count (-1 is set only while the mutex is held) is
// enabled, as static_key_count() reads it; with the mutex not read it
// might be a switch in progress, and is not judged.
struct StaticKeyReading {
    StaticKeyCounts counts;
    bool judged = true;
};
StaticKeyReading static_key_counts(std::span<const std::uint64_t> keys,
                                   std::span<const std::uint64_t> raw,
                                   std::optional<std::uint64_t> mutex_owner);

// Among `sites` (those whose forms are allowed), the jump labels whose
// found bytes (`found` starts at `base`) do not do what their key says.
std::vector<DisagreeingSite> jump_labels_disagreeing(binary::ByteView found, std::uint64_t base,
                                                     std::span<const PatchSite> sites,
                                                     const image::KernelSymbols& symbols,
                                                     const StaticKeyCounts* counts);

}  // namespace drtm::inspect
