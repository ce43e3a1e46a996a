#include "launch/slrt_in_memory.hpp"

#include "binary/reader.hpp"

namespace drtm::launch {

slrt::Table read_slrt(const PhysicalMemory& memory, std::uint64_t slrt_addr) {
    // Header: magic, revision, architecture, size, max_size (formats.md §1.4).
    binary::Reader header(memory.read(slrt_addr, 16));
    header.skip(8);
    std::uint32_t size = header.u32le();
    return slrt::parse(memory.read(slrt_addr, size));
}

}  // namespace drtm::launch
