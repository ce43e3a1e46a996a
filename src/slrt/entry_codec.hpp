// Byte encoding of single SLRT entries (header included), current layout.
#pragma once

#include <cstddef>
#include <optional>

#include "binary/bytes.hpp"
#include "slrt/entries.hpp"

namespace drtm::slrt {

struct ParseOptions {
    // INTEL_INFO has two layouts of different sizes (formats.md §1.8). Unset:
    // detect by the entry size (560 = variant A, 552 = variant B). Set: accept
    // only that layout, so a table from a known release is checked strictly.
    std::optional<IntelInfoLayout> intel_info_layout;
};

// The whole entry, 8-byte header first. Throws BuildError for an END or
// INVALID opaque entry (the table builder owns the END entry).
Bytes encode_entry(const Entry& entry);

// `entry` holds exactly one entry, header included; `base` is its absolute
// offset so errors point into the user's file. Throws binary::ParseError.
Entry decode_entry(ByteView entry, std::size_t base, const ParseOptions& options = {});

}  // namespace drtm::slrt
