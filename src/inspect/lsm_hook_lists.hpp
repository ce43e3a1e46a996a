// Linux's LSM hook lists (6.1, before LSM static calls), the ro_after_init
// data a rootkit goes for to blind SELinux or AppArmor. Each LSM declares
// an array of struct security_hook_list in the window,
//
//   { struct hlist_node list (next, pprev); struct hlist_head *head;
//     union security_list_options hook; const char *lsm; }   40 bytes
//
// whose head and hook the image initialises (LSM_HOOK_INIT); at boot
// security_add_hooks() sets lsm and appends every hook of the array to its
// head's list in security_hook_heads. So a running kernel's lists hold only
// the image's own hooks, each on the list of its own head, calling exactly
// its golden function, with consistent back links; an LSM's hooks are
// registered all together or not at all; and a registered hook is on its
// list. A hook re-pointed (even to another function of the image), a node
// spliced in from elsewhere, or a hook unlinked breaks one of those.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "image/kallsyms.hpp"

namespace drtm::inspect {

struct LsmHooks {
    std::uint64_t heads_start = 0, heads_end = 0;  // security_hook_heads (link addresses)
    struct Node {
        std::uint64_t address = 0;         // of the security_hook_list
        std::uint64_t head = 0, hook = 0;  // golden values (link addresses)
        std::uint64_t array = 0;           // where its LSM's array starts (the symbol it lies in)
    };
    std::vector<Node> nodes;                      // by address
    std::map<std::uint64_t, std::string> arrays;  // start → symbol ("apparmor_hooks")
};

constexpr std::size_t kLsmHookSize = 40;

// The hook lists of a golden kernel whose window [base, base + size) is
// `golden`: none when security_hook_heads is not in the window (a kernel
// with writable hooks, or a later one using static calls).
std::optional<LsmHooks> find_lsm_hooks(binary::ByteView golden, std::uint64_t base,
                                       const image::KernelSymbols& symbols,
                                       std::uint64_t text_start, std::uint64_t text_end);

struct WindowProblem {
    std::uint64_t address = 0;  // link address
    std::size_t size = 0;       // bytes of the window it concerns
    std::string what;
};

struct LsmHookCheck {
    std::size_t hooks = 0;       // nodes of the image
    std::size_t registered = 0;  // on their lists
    std::size_t lists = 0;       // non-empty heads
    // The arrays with hooks on their lists: the LSMs running, by array
    // symbol. An LSM switched off whole (every hook unlinked, lsm cleared)
    // looks like one the boot did not enable; only capabilities, which 6.1
    // always registers, are required. The set is measured (lsm_set).
    std::vector<std::string> registered_arrays;
    std::vector<WindowProblem> problems;  // in the order found
};

// The LSMs running, as the inspection measures them into PCR 20 and a
// prediction takes them: the hook arrays' names without "_hooks"
// ("apparmor", "bpf_lsm", "capability", "landlock", ...), each once,
// sorted, separated by single spaces. Names given with or without the
// suffix, in any order and repeated, give the same text.
std::string lsm_set(const std::vector<std::string>& names);

// `found` is the running window at `base` with relocations undone (head and
// hook at link addresses); list links and lsm hold runtime addresses, which
// are `virtual_delta` above the link ones.
LsmHookCheck check_lsm_hooks(const LsmHooks& hooks, binary::ByteView found, std::uint64_t base,
                             std::int64_t virtual_delta,
                             const std::function<std::string(std::uint64_t)>& symbolize);

}  // namespace drtm::inspect
