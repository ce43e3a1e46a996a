#include "inspect/boot_sorted_tables.hpp"

#include <algorithm>
#include <cstring>

namespace drtm::inspect {

std::optional<BootSortedTable> boot_sorted_table(
    const image::KernelSymbols& symbols, const char* start_symbol, const char* stop_symbol,
    std::size_t entry_size, std::vector<std::pair<std::size_t, std::size_t>> fields,
    std::uint64_t boot_flags, std::uint64_t window_start, std::uint64_t window_end) {
    const auto start = symbols.address(start_symbol), end = symbols.address(stop_symbol);
    if (!start || !end || *end <= *start || *start < window_start || *end > window_end ||
        (*end - *start) % entry_size != 0)
        return std::nullopt;
    return BootSortedTable{start_symbol, *start, *end, entry_size, std::move(fields), boot_flags};
}

namespace {

// An entry's fields as absolute values, at the entry's link address.
std::vector<std::uint64_t> absolute(binary::ByteView entry, std::uint64_t at,
                                    const BootSortedTable& t) {
    std::vector<std::uint64_t> out;
    for (const auto& [offset, width] : t.fields) {
        std::int64_t rel;
        if (width == 4) {
            std::int32_t v;
            std::memcpy(&v, entry.data() + offset, 4);
            rel = v;
        } else {
            std::memcpy(&rel, entry.data() + offset, 8);
        }
        out.push_back(at + offset + static_cast<std::uint64_t>(rel));
    }
    if (!out.empty()) out.back() &= ~t.boot_flags;
    return out;
}

std::vector<std::pair<std::vector<std::uint64_t>, std::uint64_t>> entries(
    binary::ByteView table, const BootSortedTable& t) {
    std::vector<std::pair<std::vector<std::uint64_t>, std::uint64_t>> out;
    for (std::size_t off = 0; off + t.entry_size <= table.size(); off += t.entry_size)
        out.emplace_back(absolute(table.subspan(off, t.entry_size), t.start + off, t),
                         t.start + off);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::vector<std::uint64_t> unmatched_entries(binary::ByteView golden, binary::ByteView found,
                                             const BootSortedTable& table) {
    const auto g = entries(golden, table);
    const auto f = entries(found, table);
    // Both sorted by value: a merge pairs equal entries one for one.
    std::vector<std::uint64_t> out;
    std::size_t i = 0;
    for (const auto& [value, at] : f) {
        while (i < g.size() && g[i].first < value) ++i;
        if (i < g.size() && g[i].first == value)
            ++i;
        else
            out.push_back(at);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace drtm::inspect
