#include "inspect/xen_virtual_memory.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "binary/bytes.hpp"
#include "inspect/guest_page_tables.hpp"
#include "inspect/xen_inspector.hpp"

namespace drtm::inspect {

XenVirtualMemory XenVirtualMemory::locate(const XenGolden& xen, const GuestMemory& ram) {
    const auto placement = locate_xen(xen, ram);
    const auto idle = xen.symbols().require("idle_pg_table");
    if (idle < xen.text().addr || idle - xen.text().addr > ram.size() - placement.text_physical ||
        ram.size() - placement.text_physical - (idle - xen.text().addr) < 4096)
        throw std::runtime_error("Xen's idle_pg_table lies outside its image in guest RAM");
    return XenVirtualMemory(placement.text_physical + (idle - xen.text().addr));
}

std::uint64_t XenVirtualMemory::read(const GuestMemory& ram, std::uint64_t va, std::size_t size,
                                     const std::string& what) const {
    const auto t = translate(ram, idle_pg_table_, va);
    // Within one page: the values read are naturally aligned.
    if (!t || t->physical > ram.size() || ram.size() - t->physical < size || size > 8 ||
        (va & 0xFFF) + size > 4096)
        throw std::runtime_error("Xen's " + what + " at " + binary::hex_number(va) +
                                 " is not mapped into guest RAM by its idle_pg_table");
    std::uint64_t v = 0;
    std::memcpy(&v, ram.view(t->physical, size).data(), size);
    return v;
}

bool XenVirtualMemory::copy(const GuestMemory& ram, std::uint64_t va,
                            std::span<std::uint8_t> out) const {
    return copy_virtual(ram, idle_pg_table_, va, out);
}

std::uint64_t XenVirtualMemory::variable(const XenGolden& xen, const GuestMemory& ram,
                                         const char* name, std::size_t size) const {
    return read(ram, xen.symbols().require(name), size, name);
}

}  // namespace drtm::inspect
