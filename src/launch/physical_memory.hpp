// The emulated machine's physical memory: the regions a bootloader filled
// (DCE, SLRT, zero page, command line, kernel, initrd, MBI, modules, log).
// DLME stages read what they measure from here by the physical addresses in
// the SLRT policy, exactly as the real kernel or Xen dereferences them, so a
// wrong address in a table is a wrong measurement here too.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "binary/bytes.hpp"

namespace drtm::launch {

class PhysicalMemory {
  public:
    // Places `bytes` at `base`; throws if it overlaps another region.
    void place(std::uint64_t base, binary::Bytes bytes, std::string name);
    // The bytes [addr, addr+size) if they lie inside one region; throws
    // std::runtime_error naming the address otherwise.
    binary::ByteView read(std::uint64_t addr, std::uint64_t size) const;
    binary::Bytes& region(std::uint64_t base);
    std::uint64_t read_u64(std::uint64_t addr) const;
    std::uint32_t read_u32(std::uint64_t addr) const;

    struct Region {
        binary::Bytes bytes;
        std::string name;
    };
    const std::map<std::uint64_t, Region>& regions() const noexcept { return regions_; }

  private:
    std::map<std::uint64_t, Region> regions_;
};

}  // namespace drtm::launch
