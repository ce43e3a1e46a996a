// Tables inside the ro_after_init window that the image sorts in place at
// boot: Linux's jump table and static-call site table (jump_label_init,
// static_call_init), Xen's exception tables (sort_exception_tables). Their
// entries hold self-relative fields, and the sort's swap re-bases each
// field as it moves an entry, so every entry keeps its absolute values:
// the running table is the golden one in another order. Compared as
// multisets of absolute entries, they join the comparison the rest of the
// window cannot have.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "image/kallsyms.hpp"

namespace drtm::inspect {

struct BootSortedTable {
    std::string name;                  // the start symbol, to name entries by
    std::uint64_t start = 0, end = 0;  // link addresses
    std::size_t entry_size = 0;
    // Self-relative fields: offset within the entry and width (4 or 8).
    std::vector<std::pair<std::size_t, std::size_t>> fields;
    // Bits of the last field's absolute value the image may set at boot
    // (Linux marks entries in init code: bit 1 of the key).
    std::uint64_t boot_flags = 0;
};

// `start_symbol`..`stop_symbol` as a table when both exist, lie inside
// [window_start, window_end) and span whole entries; else none.
std::optional<BootSortedTable> boot_sorted_table(
    const image::KernelSymbols& symbols, const char* start_symbol, const char* stop_symbol,
    std::size_t entry_size, std::vector<std::pair<std::size_t, std::size_t>> fields,
    std::uint64_t boot_flags, std::uint64_t window_start, std::uint64_t window_end);

// Link addresses of the entries of `found` (the running table, at the
// table's link address) that match no entry of `golden` one for one.
std::vector<std::uint64_t> unmatched_entries(binary::ByteView golden, binary::ByteView found,
                                             const BootSortedTable& table);

}  // namespace drtm::inspect
