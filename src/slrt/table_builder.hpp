// Builds an SLRT the way the loaders do: slr_init_table() then slr_add_entry()
// (2025 kernel header; GRUB and SKL follow it). The table always ends with an
// END entry, which each add overwrites and writes again after the new entry.
#pragma once

#include <cstdint>

#include "binary/bytes.hpp"
#include "slrt/entries.hpp"

namespace drtm::slrt {

class TableBuilder {
  public:
    // slr_init_table(): header + END, size = 24. Throws BuildError if max_size < 24.
    TableBuilder(Architecture architecture, std::uint32_t max_size);

    // slr_add_entry(): fails (BuildError, table unchanged) when size + entry
    // size would exceed max_size, exactly the kernel's check.
    void add(const Entry& entry);
    // An already encoded entry (header included), e.g. copied from another table.
    void add_encoded(ByteView entry);

    std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(buf_.size()); }
    std::uint32_t max_size() const noexcept { return max_size_; }
    // The `size` bytes in use: what a parser of this table reads.
    const Bytes& bytes() const noexcept { return buf_; }
    // The whole allocated buffer (max_size bytes, zero after `size`), as it
    // lies in memory where GRUB placed it.
    Bytes memory_image() const;

  private:
    void patch_size();

    Bytes buf_;
    std::uint32_t max_size_;
};

}  // namespace drtm::slrt
