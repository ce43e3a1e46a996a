// Where the emulated bootloader places each object in physical memory. The
// addresses end up inside measured structures (the zero page's pointers, the
// SLRT policy, the MBI), so they are fixed: the same inputs always give the
// same PCR values. They follow the real constraints: the SLB is 64 KiB-aligned
// below 4 GiB, the kernel sits at Debian's pref_address, nothing overlaps.
// docs/launch.md lists them.
#pragma once

#include <cstdint>

namespace drtm::launch::layout {

inline constexpr std::uint64_t kMbi = 0x0008'0000;        // Xen: Multiboot2 information
inline constexpr std::uint64_t kZeroPage = 0x0009'0000;   // Linux boot_params (4 KiB)
inline constexpr std::uint64_t kCmdline = 0x0009'1000;    // kernel command line buffer
inline constexpr std::uint64_t kDlHandler = 0x0009'8000;  // bootloader's DLE handler
inline constexpr std::uint64_t kDlmeBase = 0x0100'0000;   // bzImage protected-mode part
inline constexpr std::uint64_t kModules = 0x2000'0000;    // Xen MB2 modules, 2 MiB-aligned
inline constexpr std::uint64_t kInitrd = 0x3000'0000;     // Linux initrd
inline constexpr std::uint64_t kSinit = 0x7FC0'0000;      // Intel SINIT ACM
inline constexpr std::uint64_t kTxtHeap = 0x7FD0'0000;    // Intel TXT heap (OS-MLE data)
inline constexpr std::uint64_t kSlrtIntel = 0x7FE0'0000;  // Intel: SLRT page
inline constexpr std::uint64_t kEventLog = 0x7FE1'0000;   // DRTM event log buffer
inline constexpr std::uint64_t kSlb = 0x7FF0'0000;        // AMD: 64 KiB SLB (SLRT inside)

inline constexpr std::uint32_t kEventLogSize = 0x8000;  // GRUB_SLAUNCH_TPM_EVT_LOG_SIZE
inline constexpr std::uint32_t kSlrtSize = 0x1000;      // GRUB reserves one page
inline constexpr std::uint64_t kSlbSize = 0x1'0000;

}  // namespace drtm::launch::layout
