#include "inspect/code_compare.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace drtm::inspect {

CodeComparison compare_code(binary::ByteView golden, binary::ByteView found, std::uint64_t base,
                            const std::vector<PatchSite>& sites,
                            const std::function<std::string(std::uint64_t)>& symbolize,
                            std::size_t max_regions) {
    if (golden.size() != found.size())
        throw std::invalid_argument("the golden and found code differ in length");
    const std::size_t n = golden.size();
    // One flag per byte: inside a patch site.
    std::vector<std::uint8_t> explained(n, 0);
    for (const auto& s : sites) {
        if (s.address < base || s.address - base >= n) continue;
        const std::size_t off = s.address - base;
        std::fill_n(explained.begin() + static_cast<std::ptrdiff_t>(off),
                    std::min<std::size_t>(s.length, n - off), 1);
    }
    CodeComparison c;
    c.bytes_compared = n;
    for (std::size_t page = 0; page < n; page += 4096) {
        const std::size_t len = std::min<std::size_t>(4096, n - page);
        ++c.pages;
        if (std::memcmp(golden.data() + page, found.data() + page, len) == 0) {
            ++c.pages_identical_raw;
            continue;
        }
        for (std::size_t i = page; i < page + len; ++i) {
            if (golden[i] == found[i]) continue;
            ++c.bytes_differing;
            if (explained[i]) continue;
            ++c.bytes_unexplained;
            // Extend the current region when this byte is adjacent to it.
            if (!c.unexplained.empty()) {
                auto& last = c.unexplained.back();
                if (last.address + last.found.size() == base + i) {
                    last.expected.push_back(golden[i]);
                    last.found.push_back(found[i]);
                    continue;
                }
            }
            if (c.unexplained.size() < max_regions)
                c.unexplained.push_back(
                    {base + i, symbolize(base + i), {golden[i]}, {found[i]}, ""});
        }
    }
    return c;
}

void report_changes_between_pauses(CodeComparison& c, binary::ByteView later,
                                   binary::ByteView earlier, std::uint64_t base,
                                   const std::vector<PatchSite>& sites,
                                   const std::function<std::string(std::uint64_t)>& symbolize,
                                   const std::string& note, std::size_t max_regions) {
    auto changed = compare_code(later, earlier, base, sites, symbolize, max_regions);
    c.bytes_unexplained += changed.bytes_unexplained;
    for (auto& region : changed.unexplained) {
        if (c.unexplained.size() >= max_regions) break;
        region.note = note;
        c.unexplained.push_back(std::move(region));
    }
    // Stable: a region two earlier pauses saw stays in pause order.
    std::stable_sort(
        c.unexplained.begin(), c.unexplained.end(),
        [](const DifferingRegion& a, const DifferingRegion& b) { return a.address < b.address; });
}

void note_rejected_sites(CodeComparison& c, std::vector<PatchSite> rejected,
                         const std::unordered_map<std::uint64_t, std::string>& reasons) {
    std::sort(rejected.begin(), rejected.end(),
              [](const PatchSite& a, const PatchSite& b) { return a.address < b.address; });
    for (auto& region : c.unexplained) {
        auto it =
            std::upper_bound(rejected.begin(), rejected.end(), region.address,
                             [](std::uint64_t a, const PatchSite& s) { return a < s.address; });
        // Sites are at most 255 bytes long: look back over the few that could cover it.
        while (it != rejected.begin()) {
            --it;
            if (region.address - it->address >= 256) break;
            if (region.address < it->address + it->length) {
                const auto reason = reasons.find(it->address);
                region.note = std::string("in a ") + patch_kind_name(it->kind) + " site, " +
                              (reason != reasons.end() ? reason->second
                                                       : "not a form the kernel writes there");
                break;
            }
        }
    }
}

void report_unseen_refused_sites(CodeComparison& c, binary::ByteView golden, binary::ByteView found,
                                 std::uint64_t base, const std::vector<PatchSite>& rejected,
                                 const std::function<std::string(std::uint64_t)>& symbolize,
                                 std::size_t max_regions) {
    const std::size_t n = std::min(golden.size(), found.size());
    for (const auto& s : rejected) {
        if (s.address < base || s.address - base >= n || s.length > n - (s.address - base))
            continue;
        const auto f = found.subspan(s.address - base, s.length);
        const bool seen =
            std::any_of(c.unexplained.begin(), c.unexplained.end(), [&](const auto& r) {
                return r.address < s.address + s.length &&
                       s.address < r.address + std::max(r.found.size(), r.expected.size());
            });
        if (seen) continue;  // compare_code reported its changed bytes
        // Past compare_code's cap its regions are not listed, but counted:
        // only a site whose bytes are all golden is unseen for sure.
        if (c.unexplained.size() >= max_regions &&
            !std::equal(f.begin(), f.end(), golden.begin() + (s.address - base)))
            continue;
        c.bytes_unexplained += s.length;
        if (c.unexplained.size() < max_regions)
            c.unexplained.push_back(
                {s.address, symbolize(s.address), {}, binary::Bytes(f.begin(), f.end()), ""});
    }
    std::sort(
        c.unexplained.begin(), c.unexplained.end(),
        [](const DifferingRegion& a, const DifferingRegion& b) { return a.address < b.address; });
}

void restore_patch_sites(binary::ByteView golden, std::span<std::uint8_t> found, std::uint64_t base,
                         const std::vector<PatchSite>& sites) {
    if (golden.size() != found.size())
        throw std::invalid_argument("the golden and found code differ in length");
    const std::size_t n = golden.size();
    for (const auto& s : sites) {
        if (s.address < base || s.address - base >= n) continue;
        const std::size_t off = s.address - base;
        const std::size_t len = std::min<std::size_t>(s.length, n - off);
        std::memcpy(found.data() + off, golden.data() + off, len);
    }
}

}  // namespace drtm::inspect
