// Reading the Intel TXT public configuration registers (formats.md §3.1) of
// the running machine: from Linux Secure Launch's securityfs files
// (slaunch/txt/*) when they exist, else from the public space at 0xFED30000
// through /dev/mem, as txt-stat does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/physical_memory_device.hpp"
#include "host/system_root.hpp"

namespace drtm::host {

namespace txt_register {
inline constexpr std::uint64_t public_space = 0xFED30000;
inline constexpr std::uint64_t sts = 0x000;
inline constexpr std::uint64_t ests = 0x008;
inline constexpr std::uint64_t errorcode = 0x030;
inline constexpr std::uint64_t didvid = 0x110;
inline constexpr std::uint64_t ver_emif = 0x200;
inline constexpr std::uint64_t heap_base = 0x300;
inline constexpr std::uint64_t heap_size = 0x308;
inline constexpr std::uint64_t acm_policy_status = 0x378;  // TXT.SCRATCHPAD
inline constexpr std::uint64_t e2sts = 0x8F0;
}  // namespace txt_register

// One register as read: its name, offset, width and value.
struct TxtRegister {
    std::string name;  // "TXT.STS"
    std::uint64_t offset = 0;
    unsigned width = 64;  // bits
    std::uint64_t value = 0;
};

struct TxtRegisters {
    std::string source;  // the securityfs directory or the /dev/mem path
    std::vector<TxtRegister> registers;
    // TXT.HEAP.BASE / SIZE: only /dev/mem has them (securityfs does not
    // export them); nullopt when /dev/mem could not be read.
    std::optional<std::uint64_t> heap_base, heap_size;
    std::vector<std::string> notes;  // e.g. why the heap registers are missing

    const TxtRegister* find(std::uint64_t offset) const;
};

// Throws Unavailable saying what was looked for when neither securityfs nor
// /dev/mem gives the registers, or when the public space reads as all ones /
// all zeros (no TXT device: not an Intel TXT platform, or TXT is disabled).
TxtRegisters read_txt_registers(const SystemRoot& root);

struct TxtHeapRegisters {
    std::uint64_t base = 0, size = 0;
};
// TXT.HEAP.BASE and TXT.HEAP.SIZE from /dev/mem; throws Unavailable when they
// read as all ones or zero (TXT disabled or absent).
TxtHeapRegisters read_txt_heap_registers(const PhysicalMemoryDevice& mem);

}  // namespace drtm::host
