// The emulated bootloader: what TrenchBoot GRUB does before it triggers the
// dynamic launch. It loads the DCE and the DLME, builds the zero page or the
// Multiboot2 information, writes the SLRT with GRUB's measurement policy, and
// allocates the DRTM log, all at the fixed addresses of memory_layout.hpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "launch/dce_images.hpp"
#include "launch/launch_request.hpp"
#include "launch/physical_memory.hpp"

namespace drtm::launch {

struct BootSetup {
    PhysicalMemory memory;
    std::uint64_t slrt_addr = 0;
    std::uint64_t dlme_base = 0;
    std::uint64_t dlme_size = 0;
    std::uint32_t dlme_entry = 0;
    std::uint64_t log_addr = 0;
    std::uint32_t log_size = 0;
    nlohmann::json description;  // what was placed where, for summary.json
};

// `dce_size` is what GRUB writes into dl_info.dce_size: the SLB's measured
// length (AMD) or the ACM's module size (Intel). `dce_bytes` is what lies at
// dce_base: the measured part of the SLB (GRUB copies only that), or the ACM.
struct DceInMemory {
    binary::ByteView bytes;
    std::uint64_t size = 0;
    std::uint16_t slrt_offset = 0;  // AMD: SLB bootloader_data offset
};

BootSetup grub_boot_linux(Flavour flavour, const DceInMemory& dce, const LinuxDlme& dlme);
BootSetup grub_boot_xen(Flavour flavour, const DceInMemory& dce, const XenDlme& dlme);

}  // namespace drtm::launch
