// What drtm learns from walking an Intel TXT heap (formats.md §3.3–3.6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/txt_structures.hpp"

namespace drtm::eventlog {

// One of the four heap regions. `offset` is where its u64 size field sits in
// the parsed input; `size` includes those 8 bytes, as the SDG defines it.
struct TxtHeapRegion {
    std::size_t offset = 0;
    std::uint64_t size = 0;
};

struct TxtHeapElement {
    std::uint32_t type = 0;
    std::uint32_t size = 0;  // including the 8-byte element header
    std::size_t offset = 0;  // of the element header in the parsed input
};

struct TxtHeapInfo {
    std::size_t heap_offset = 0;  // where the heap starts in the parsed input
    std::uint64_t heap_size = 0;
    std::optional<std::uint64_t> physical_base;  // TXT.HEAP.BASE, when the input says

    TxtHeapRegion bios_data;
    TxtHeapRegion os_mle_data;
    TxtHeapRegion os_sinit_data;
    TxtHeapRegion sinit_mle_data;
    std::uint32_t bios_data_version = 0;
    std::uint32_t os_sinit_data_version = 0;
    std::uint32_t os_sinit_capabilities = 0;
    std::uint32_t sinit_mle_data_version = 0;

    std::vector<TxtHeapElement> os_sinit_elements;  // in heap order, END included
    std::optional<TxtLogPointer> log_pointer;       // type 8
    std::size_t log_pointer_offset = 0;             // of its 20-byte body in the input
    std::vector<LegacyLogDescriptor> legacy_logs;   // type 7 (recognised, not followed)
    std::vector<std::string> notes;                 // oddities that did not stop the walk
};

}  // namespace drtm::eventlog
