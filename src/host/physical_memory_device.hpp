// Reading physical memory through /dev/mem (or a file that stands in for it
// under a root prefix). RAM is read with pread; device registers (the TXT
// public space) are read through a mapping with one aligned load per register,
// as txt-stat does, because MMIO registers must not be read byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "binary/bytes.hpp"

namespace drtm::host {

// A source of machine state that is missing or refused: the message says
// what was tried and why it failed, in words a user can act on.
class Unavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class PhysicalMemoryDevice {
  public:
    // Throws Unavailable when the file cannot be opened (missing, not root).
    explicit PhysicalMemoryDevice(std::filesystem::path path);
    ~PhysicalMemoryDevice();
    PhysicalMemoryDevice(const PhysicalMemoryDevice&) = delete;
    PhysicalMemoryDevice& operator=(const PhysicalMemoryDevice&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // `size` bytes at physical `address`. `what` names the data in errors
    // ("the TXT heap"). Throws Unavailable when the kernel refuses the range
    // or the file ends before it.
    // `map_if_refused`: when read() answers EFAULT (above the top of RAM),
    // map the range instead, as txt-stat does. Only for ranges the hardware
    // names (the TXT heap); never for an address taken from memory contents.
    binary::Bytes read(std::uint64_t address, std::size_t size, std::string_view what,
                       bool map_if_refused = false) const;

    // One naturally aligned 64-bit load of a device register, through a
    // mapping (read() of /dev/mem refuses addresses above the top of RAM).
    std::uint64_t read_register64(std::uint64_t address) const;

  private:
    binary::Bytes read_mapped(std::uint64_t address, std::size_t size, std::string_view what) const;
    std::string refused(std::uint64_t address, std::string_view what, int error) const;

    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace drtm::host
