#include "inspect/boot_sorted_tables.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace drtm::inspect {

namespace {

constexpr std::uint64_t kFlagBits = 3, kInitBit = 2;

struct Entry {
    std::vector<std::uint64_t> value;  // absolute fields, the init bit cleared
    bool init = false;                 // the init bit
    std::uint64_t at = 0;
};

Entry decode(binary::ByteView entry, std::uint64_t at, const BootSortedTable& t) {
    Entry e{{}, false, at};
    for (const auto& [offset, width] : t.fields) {
        std::int64_t rel;
        if (width == 4) {
            std::int32_t v;
            std::memcpy(&v, entry.data() + offset, 4);
            rel = v;
        } else {
            std::memcpy(&rel, entry.data() + offset, 8);
        }
        e.value.push_back(at + offset + static_cast<std::uint64_t>(rel));
    }
    if (t.init_mark != BootSortedTable::InitMark::none) {
        e.init = (e.value.back() & kInitBit) != 0;
        e.value.back() &= ~kInitBit;
    }
    return e;
}

std::vector<Entry> decode_all(binary::ByteView table, const BootSortedTable& t) {
    std::vector<Entry> out;
    for (std::size_t off = 0; off + t.entry_size <= table.size(); off += t.entry_size)
        out.push_back(decode(table.subspan(off, t.entry_size), t.start + off, t));
    return out;
}

std::vector<std::uint64_t> sort_key(const Entry& e, const BootSortedTable& t) {
    std::vector<std::uint64_t> key;
    for (auto i : t.order)
        key.push_back(i + 1 == t.fields.size() && t.init_mark != BootSortedTable::InitMark::none
                          ? e.value[i] & ~kFlagBits
                          : e.value[i]);
    return key;
}

}  // namespace

std::optional<BootSortedTable> boot_sorted_table(const image::KernelSymbols& symbols,
                                                 const char* start_symbol, const char* stop_symbol,
                                                 BootSortedTable shape, std::uint64_t window_start,
                                                 std::uint64_t window_end) {
    for (const auto& [offset, width] : shape.fields)
        if ((width != 4 && width != 8) || offset + width > shape.entry_size)
            throw std::invalid_argument("a table field outside its entry");
    const auto start = symbols.address(start_symbol), end = symbols.address(stop_symbol);
    if (!start || !end || *end <= *start || *start < window_start || *end > window_end ||
        (*end - *start) % shape.entry_size != 0)
        return std::nullopt;
    shape.name = start_symbol;
    shape.start = *start;
    shape.end = *end;
    return shape;
}

std::vector<TableEntryProblem> check_boot_sorted_table(binary::ByteView golden,
                                                       binary::ByteView found,
                                                       const BootSortedTable& t) {
    const auto running = decode_all(found, t);
    auto by_value = [](const Entry& a, const Entry& b) { return a.value < b.value; };
    auto g = decode_all(golden, t);
    std::sort(g.begin(), g.end(), by_value);
    auto f = running;
    std::sort(f.begin(), f.end(), by_value);

    auto in_init = [&](std::uint64_t address) {
        return address >= t.init_begin && address < t.init_end;
    };
    std::vector<TableEntryProblem> out;
    // Both sorted by value: a merge pairs equal entries one for one.
    std::size_t i = 0;
    for (const auto& e : f) {
        while (i < g.size() && g[i].value < e.value) ++i;
        if (i == g.size() || g[i].value != e.value) {
            out.push_back({e.at, "an entry the golden table does not have"});
            continue;
        }
        const bool golden_init = g[i++].init;
        const bool code_in_init = in_init(e.value.front());
        const bool expected = t.init_mark == BootSortedTable::InitMark::exactly_init_code
                                  ? code_in_init
                              : t.init_mark == BootSortedTable::InitMark::added_for_init_code
                                  ? golden_init || code_in_init
                                  : e.init;
        if (e.init != expected)
            out.push_back({e.at, e.init ? "marked as init code, which it is not"
                                        : "init code not marked as such"});
    }
    for (std::size_t k = 1; k < running.size(); ++k)
        if (sort_key(running[k], t) < sort_key(running[k - 1], t))
            out.push_back({running[k].at, "out of the order the table is sorted in at boot"});
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.address < b.address; });
    return out;
}

}  // namespace drtm::inspect
