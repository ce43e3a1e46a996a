#include "launch/physical_memory.hpp"

#include <stdexcept>

#include "binary/error.hpp"
#include "binary/reader.hpp"

namespace drtm::launch {

void PhysicalMemory::place(std::uint64_t base, binary::Bytes bytes, std::string name) {
    const std::uint64_t end = base + bytes.size();
    if (end < base) throw std::runtime_error(name + ": region wraps the address space");
    for (const auto& [b, r] : regions_) {
        std::uint64_t e = b + r.bytes.size();
        if (base < e && b < end)
            throw std::runtime_error(name + " at " + binary::format_offset(base) + " overlaps " +
                                     r.name + " at " + binary::format_offset(b));
    }
    regions_[base] = Region{std::move(bytes), std::move(name)};
}

binary::ByteView PhysicalMemory::read(std::uint64_t addr, std::uint64_t size) const {
    auto it = regions_.upper_bound(addr);
    if (it != regions_.begin()) {
        --it;
        const auto& [base, r] = *it;
        std::uint64_t off = addr - base;
        if (off <= r.bytes.size() && size <= r.bytes.size() - off)
            return binary::ByteView(r.bytes).subspan(off, size);
    }
    throw std::runtime_error("physical address range " + binary::format_offset(addr) + "+" +
                             binary::format_offset(size) + " is not inside one loaded region");
}

binary::Bytes& PhysicalMemory::region(std::uint64_t base) {
    auto it = regions_.find(base);
    if (it == regions_.end())
        throw std::runtime_error("no region starts at " + binary::format_offset(base));
    return it->second.bytes;
}

std::uint64_t PhysicalMemory::read_u64(std::uint64_t addr) const {
    return binary::Reader(read(addr, 8)).u64le();
}

std::uint32_t PhysicalMemory::read_u32(std::uint64_t addr) const {
    return binary::Reader(read(addr, 4)).u32le();
}

}  // namespace drtm::launch
