// The Secure Launch Resource Table as a whole: typed model, serialiser and
// validating parser (current layout, reference/formats.md §1.4).
#pragma once

#include <cstdint>
#include <vector>

#include "binary/bytes.hpp"
#include "slrt/entries.hpp"
#include "slrt/entry_codec.hpp"

namespace drtm::slrt {

struct Table {
    Architecture architecture = Architecture::intel_txt;
    std::uint32_t max_size = 4096;  // GRUB reserves one page
    std::vector<Entry> entries;     // in table order, END excluded
    // Tables written by slr_add_entry() end with an END entry; the 2023 Linux
    // header did not write one. Parsed tables record which they had.
    bool end_entry = true;

    // Bytes in use: header, entries and (if present) END.
    std::uint32_t size() const;
    // Absolute offset of entries[i] in the serialised table.
    std::uint32_t entry_offset(std::size_t index) const;
    bool operator==(const Table&) const = default;
};

// The `size` bytes of the table. Throws BuildError if the entries do not fit in max_size.
Bytes serialize(const Table& table);

// The largest SLRT drtm reads (GRUB allocates a few KiB; the header's
// max_size is a u32). Larger inputs are refused before parsing.
inline constexpr std::size_t kMaxSlrtBytes = 1u << 20;  // 1 MiB

// Walks entries from offset 16 and stops at END or at `size`. Rejects a wrong
// magic or revision, an unknown architecture, size < 16, size > max_size, size
// past the data, an entry smaller than its header or running past `size`, and
// any entry whose body does not match the current layout. Errors name the
// entry ("entry #2 (ENTRY_POLICY) at 0x68: ...") and the absolute byte offset.
// `data` may be longer than `size` (a whole max_size buffer); the tail is ignored.
Table parse(ByteView data, const ParseOptions& options = {});

}  // namespace drtm::slrt
