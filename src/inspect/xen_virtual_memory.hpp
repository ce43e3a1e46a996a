// A located Xen's virtual memory, read as Xen reads it: through its own
// top-level page table (idle_pg_table), which maps Xen's image, its
// directmap (where struct domain and struct vcpu live) and its frame
// table. What the inspector reads of Xen's data goes through here.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "inspect/guest_memory.hpp"

namespace drtm::inspect {

class XenGolden;

class XenVirtualMemory {
  public:
    // Locates Xen (locate_xen) and its idle_pg_table, which lies in its
    // image, physically contiguous from .text. Throws std::runtime_error.
    static XenVirtualMemory locate(const XenGolden& xen, const GuestMemory& ram);
    explicit XenVirtualMemory(std::uint64_t idle_pg_table) : idle_pg_table_(idle_pg_table) {}

    std::uint64_t idle_pg_table() const { return idle_pg_table_; }
    // The `size`-byte (1 to 8) little-endian value at `va`; throws
    // std::runtime_error naming `what` when it is not mapped into RAM.
    std::uint64_t read(const GuestMemory& ram, std::uint64_t va, std::size_t size,
                       const std::string& what) const;
    // `out.size()` bytes from `va` on, page by page; false when a page is
    // not mapped into guest RAM.
    bool copy(const GuestMemory& ram, std::uint64_t va, std::span<std::uint8_t> out) const;
    // Xen's variable `name`, at its link address.
    std::uint64_t variable(const XenGolden& xen, const GuestMemory& ram, const char* name,
                           std::size_t size) const;

  private:
    std::uint64_t idle_pg_table_ = 0;
};

}  // namespace drtm::inspect
