// Tables inside the ro_after_init window that the image sorts in place at
// boot: Linux's jump table and static-call site table (jump_label_init,
// static_call_init), Xen's exception tables (sort_exception_tables). Their
// entries hold self-relative fields, and the sort's swap re-bases each
// field as it moves an entry, so every entry keeps its absolute values:
// the running table is the golden one in the kernel's sort order, with the
// init marks the kernel sets at boot. That much is checked, entry by
// entry; the rest of the window cannot be.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binary/bytes.hpp"
#include "image/kallsyms.hpp"

namespace drtm::inspect {

struct BootSortedTable {
    std::string name;                  // the start symbol, to name entries by
    std::uint64_t start = 0, end = 0;  // link addresses
    std::size_t entry_size = 0;
    // Self-relative fields: offset within the entry and width (4 or 8). The
    // first is the code address the entry is about; the last, for Linux,
    // the key, whose low two bits are flags.
    std::vector<std::pair<std::size_t, std::size_t>> fields;
    // The kernel's sort order, as field indexes (the key without its flag
    // bits, then the code address; Xen: the address).
    std::vector<std::size_t> order;
    // Linux's init mark, bit 1 of the key: none (Xen); set exactly for
    // entries whose code is init code (jump_label_init rewrites it); or
    // added for init code to what the build set (static_call_init).
    enum class InitMark { none, exactly_init_code, added_for_init_code } init_mark = InitMark::none;
    std::uint64_t init_begin = 0, init_end = 0;  // __init_begin .. __init_end
};

// `start_symbol`..`stop_symbol` as a table when both exist, lie inside
// [window_start, window_end) and span whole entries; else none.
std::optional<BootSortedTable> boot_sorted_table(const image::KernelSymbols& symbols,
                                                 const char* start_symbol, const char* stop_symbol,
                                                 BootSortedTable shape, std::uint64_t window_start,
                                                 std::uint64_t window_end);

struct TableEntryProblem {
    std::uint64_t address = 0;  // of the running entry (link address)
    std::string what;
};

// What is wrong with the running table `found` (at the table's link
// address) against `golden`: entries that match no golden entry one for
// one, init marks the kernel would not have set, entries out of the sort
// order. In address order; empty when the table is as the boot left it.
std::vector<TableEntryProblem> check_boot_sorted_table(binary::ByteView golden,
                                                       binary::ByteView found,
                                                       const BootSortedTable& table);

}  // namespace drtm::inspect
