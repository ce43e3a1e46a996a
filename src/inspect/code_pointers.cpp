#include "inspect/code_pointers.hpp"

#include <algorithm>

#include "binary/bytes.hpp"

namespace drtm::inspect {

namespace {

// Whether [va, va + size) overlaps one of `r`'s [start, end) ranges.
bool in_ranges(std::uint64_t va, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& r,
               std::uint64_t size = 8) {
    return std::any_of(r.begin(), r.end(), [&](const auto& range) {
        return va + size > range.first && va < range.second;
    });
}

}  // namespace

CodePointerCheck check_code_pointers(binary::ByteView golden, binary::ByteView found,
                                     std::uint64_t base, const CodePointerRules& rules) {
    CodePointerCheck out;
    const std::size_t size = std::min(golden.size(), found.size());
    if (size < 8) return out;
    // Pointers are 8-byte aligned in all but packed structures, whose
    // pointers the relocation table still lists.
    std::vector<std::size_t> offsets;
    for (std::size_t o = (8 - base % 8) % 8; o + 8 <= size; o += 8) offsets.push_back(o);
    const auto first = std::lower_bound(rules.relocated.begin(), rules.relocated.end(), base);
    for (auto it = first; it != rules.relocated.end() && *it + 8 <= base + size; ++it)
        if (*it % 8 != 0) offsets.push_back(*it - base);
    std::sort(offsets.begin(), offsets.end());

    auto in_text = [&](std::uint64_t va) { return va >= rules.text_start && va < rules.text_end; };
    const auto delta = static_cast<std::uint64_t>(rules.virtual_delta);
    for (const auto o : offsets) {
        const std::uint64_t at = base + o;
        if (in_ranges(at, rules.skip)) continue;
        ++out.words;
        const auto g = binary::load_le<std::uint64_t>(golden.data() + o);
        const auto f = binary::load_le<std::uint64_t>(found.data() + o);
        const bool relocated =
            std::binary_search(rules.relocated.begin(), rules.relocated.end(), at);
        // A word the relocation table lists was put back to its link value
        // already; any other holds a runtime address if it holds one at all.
        const std::uint64_t f_link = relocated || f == g ? f : f - delta;
        const std::uint64_t f_runtime = relocated ? f + delta : f;
        const bool golden_code = in_text(g), found_code = in_text(f_link);
        if (f_link != g && in_ranges(f_runtime, rules.loaded_later, 1)) {
            ++out.code_pointers;
            out.problems.push_back({at, g, f_runtime,
                                    "points where code is loaded after boot (modules, BPF): " +
                                        binary::hex_number(f_runtime)});
            continue;
        }
        if (!golden_code && !found_code) continue;
        ++out.code_pointers;
        if (f_link == g) continue;
        if (found_code) {
            if (rules.is_function(f_link)) {
                ++out.set_at_boot;
                continue;
            }
            out.problems.push_back(
                {at, g, f_runtime,
                 "a code pointer into the middle of a function: " + rules.symbolize(f_link)});
        } else if (f_runtime == 0) {
            ++out.set_at_boot;  // cleared: an ops entry the platform does not use
        } else {
            out.problems.push_back({at, g, f_runtime,
                                    "held a code pointer (" + rules.symbolize(g) + "), now " +
                                        binary::hex_number(f_runtime) +
                                        ", outside the image's .text"});
        }
    }
    return out;
}

}  // namespace drtm::inspect
