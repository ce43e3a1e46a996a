#include "inspect/lsm_hook_lists.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace drtm::inspect {

namespace {

// struct security_hook_list, field offsets.
constexpr std::uint64_t kNext = 0, kPprev = 8, kHead = 16, kHook = 24, kLsm = 32;

}  // namespace

std::optional<LsmHooks> find_lsm_hooks(binary::ByteView golden, std::uint64_t base,
                                       const image::KernelSymbols& symbols,
                                       std::uint64_t text_start, std::uint64_t text_end) {
    const auto heads = symbols.address("security_hook_heads");
    const std::uint64_t end = base + golden.size();
    if (!heads || *heads < base || *heads >= end) return std::nullopt;
    LsmHooks h;
    h.heads_start = *heads;
    h.heads_end = std::min(symbols.next_after(*heads).value_or(end), end);
    // Bounded by the next symbol: a span no 6.1 kernel has (it declares
    // about 240 hooks) means that bound is not the struct's end.
    if ((h.heads_end - h.heads_start) % 8 != 0 || h.heads_end - h.heads_start > 8 * 1024)
        return std::nullopt;
    auto word = [&](std::uint64_t va) {
        return binary::load_le<std::uint64_t>(&golden[va - base]);
    };
    // A node is wherever the image initialises a head pointer into
    // security_hook_heads, followed by a hook in .text.
    for (std::uint64_t node = (base + 7) & ~std::uint64_t(7); node + kLsmHookSize <= end;
         node += 8) {
        const auto head = word(node + kHead);
        if (head < h.heads_start || head >= h.heads_end) continue;
        const auto hook = word(node + kHook);
        if (hook < text_start || hook >= text_end) continue;
        const auto* array = symbols.containing(node);
        h.nodes.push_back({node, head, hook, array ? array->address : node});
        h.arrays.emplace(h.nodes.back().array, array ? array->name : binary::hex_number(node));
    }
    return h;
}

std::string lsm_set(const std::vector<std::string>& names) {
    std::vector<std::string> lsms;
    for (auto name : names) {
        if (name.ends_with("_hooks")) name.resize(name.size() - 6);
        if (!name.empty()) lsms.push_back(std::move(name));
    }
    std::sort(lsms.begin(), lsms.end());
    lsms.erase(std::unique(lsms.begin(), lsms.end()), lsms.end());
    std::string out;
    for (const auto& l : lsms) out += (out.empty() ? "" : " ") + l;
    return out;
}

LsmHookCheck check_lsm_hooks(const LsmHooks& hooks, binary::ByteView found, std::uint64_t base,
                             std::int64_t virtual_delta,
                             const std::function<std::string(std::uint64_t)>& symbolize) {
    LsmHookCheck out;
    out.hooks = hooks.nodes.size();
    const auto delta = static_cast<std::uint64_t>(virtual_delta);
    auto word = [&](std::uint64_t va) -> std::uint64_t {
        if (va < base || va + 8 > base + found.size()) return 0;
        return binary::load_le<std::uint64_t>(&found[va - base]);
    };
    auto problem = [&](std::uint64_t at, std::size_t size, std::string what) {
        out.problems.push_back({at, size, std::move(what)});
    };
    std::unordered_map<std::uint64_t, std::size_t> index;
    for (std::size_t i = 0; i < hooks.nodes.size(); ++i) index[hooks.nodes[i].address] = i;

    for (const auto& n : hooks.nodes) {
        const auto name = symbolize(n.address) + " (" + symbolize(n.hook) + ")";
        if (const auto head = word(n.address + kHead); head != n.head)
            problem(n.address + kHead, 8,
                    "the LSM hook " + name + " names the list " + symbolize(head) + ", not " +
                        symbolize(n.head));
        if (const auto hook = word(n.address + kHook); hook != n.hook)
            problem(n.address + kHook, 8, "the LSM hook " + name + " now calls " + symbolize(hook));
    }

    // Walk every list from its head: only the image's hooks, each on its
    // own head's list once, each back link pointing at the link before.
    std::vector<bool> linked(hooks.nodes.size());
    for (std::uint64_t head = hooks.heads_start; head + 8 <= hooks.heads_end; head += 8) {
        std::uint64_t runtime = word(head);
        if (runtime == 0) continue;
        ++out.lists;
        std::uint64_t link = head;  // the field that points at the next node
        while (runtime != 0) {
            const auto it = index.find(runtime - delta);
            if (it == index.end()) {
                problem(link, 8,
                        "the LSM list " + symbolize(head) + " reaches " +
                            binary::hex_number(runtime) + ", which is no LSM hook of the image");
                break;
            }
            const auto& n = hooks.nodes[it->second];
            if (linked[it->second]) {
                problem(
                    link, 8,
                    "the LSM list " + symbolize(head) + " comes back to " + symbolize(n.address));
                break;
            }
            linked[it->second] = true;
            if (n.head != head)
                problem(link, 8,
                        "the LSM list " + symbolize(head) + " holds " + symbolize(n.address) +
                            ", a hook of " + symbolize(n.head));
            if (word(n.address + kPprev) - delta != link)
                problem(n.address + kPprev, 8,
                        "the back link of " + symbolize(n.address) + " is not its list's link");
            link = n.address + kNext;
            runtime = word(link);
        }
    }

    // An LSM registers all of its hooks: one registered (lsm set) or one
    // of an LSM with hooks on lists must be on its list too. By the
    // arrays' name, not each array: Landlock registers three arrays, all
    // named landlock_hooks, and one taken off whole while the others stay
    // would otherwise pass (and PCR 20 names the LSM once).
    std::unordered_set<std::uint64_t> arrays_linked;
    std::unordered_set<std::string> lsms_linked;
    for (std::size_t i = 0; i < hooks.nodes.size(); ++i)
        if (linked[i]) {
            arrays_linked.insert(hooks.nodes[i].array);
            if (const auto a = hooks.arrays.find(hooks.nodes[i].array); a != hooks.arrays.end())
                lsms_linked.insert(a->second);
        }
    auto lsm_linked = [&](std::uint64_t array) {
        const auto a = hooks.arrays.find(array);
        return a != hooks.arrays.end() && lsms_linked.contains(a->second);
    };
    for (const auto& [array, name] : hooks.arrays) {
        if (arrays_linked.contains(array))
            out.registered_arrays.push_back(name);
        else if (name == "capability_hooks")
            problem(array, kLsmHookSize,
                    "capabilities' LSM hooks are on no list, but Linux always registers them");
    }
    for (std::size_t i = 0; i < hooks.nodes.size(); ++i) {
        const auto& n = hooks.nodes[i];
        const bool registered = word(n.address + kLsm) != 0;
        out.registered += linked[i];
        if (linked[i]) {
            if (!registered)
                problem(n.address + kLsm, 8,
                        "the LSM hook " + symbolize(n.address) +
                            " is on its list but was never registered");
        } else if (registered || lsm_linked(n.array)) {
            problem(n.address, kLsmHookSize,
                    "the LSM hook " + symbolize(n.address) + " (" + symbolize(n.hook) + ") is " +
                        (registered ? "registered" : "one of an LSM whose other hooks are") +
                        " but not on its list: unhooked");
        }
    }
    return out;
}

}  // namespace drtm::inspect
