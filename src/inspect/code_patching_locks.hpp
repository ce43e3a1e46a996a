// The locks under which Linux rewrites its own code, read in the pause so
// an inspection that lands mid-rewrite is told from a modified kernel.
// Linux 6.1 takes:
//
//   text_mutex         around every text_poke (kprobes, ftrace's whole
//                      update, the SMP/UP switch of lock prefixes, each
//                      static-call and jump-label site);
//   jump_label_mutex   around a key's count and all its sites;
//   static_call_mutex  around a key's trampoline and all its inline sites
//                      (each poked under text_mutex in turn, so text_mutex
//                      is free between two of them).
//
// Held, a site may be half-written or disagree with its key or trampoline.
// The inspector resumes the guest and pauses it again (a few times, a few
// tens of milliseconds apart) until all are free, and holds the earlier
// pauses' copies to the last one outside the patch sites (a guest that
// holds a lock to win time finds nothing to gain). Still held: while
// jump_label_mutex is, no jump label is held to its key; for the others
// every site is judged as usual, and the report says that a refused one
// may only be half-written.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace drtm::inspect {

inline constexpr const char* kCodePatchingMutexes[] = {"text_mutex", "jump_label_mutex",
                                                       "static_call_mutex"};

// A struct mutex's owner word (atomic_long_t, its first field): the owning
// task_struct's address, with flag bits 0-2; 0 when free.
inline bool mutex_held(std::uint64_t owner_word) {
    return (owner_word & ~std::uint64_t(7)) != 0;
}

struct MutexReading {
    std::string name;
    std::uint64_t owner_word = 0;
};

// The names of the held ones, in order.
std::vector<std::string> held_mutexes(std::span<const MutexReading> readings);

// What a lock held through every pause leaves unjudged, as the report says
// it ("<what>: the kernel held <name> (<doing>)..."); empty for other names.
std::string not_judged_while_held(const std::string& name);

}  // namespace drtm::inspect
