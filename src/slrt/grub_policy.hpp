// The measurement policies GRUB writes into the SLRT, rebuilt from the values
// GRUB reads at boot (reference/measurements.md §4 and §5):
//  - Linux: TrenchBoot/grub@grub-sl-2.12-v11 grub-core/loader/slaunch/slrt.c,
//    grub_setup_slrt_policy(): seven fixed slots, unneeded ones SLR_ET_UNUSED;
//  - Multiboot2/Xen: TrenchBoot/grub@aem-qubes-4.2.3-rebase
//    grub-core/loader/multiboot_mbi2.c, grub_multiboot2_prepare_slaunch():
//    one entry per item, no unused slots.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "slrt/entries.hpp"
#include "slrt/table.hpp"

namespace drtm::slrt {

// Event labels GRUB writes (evt_info), shared with the measurers that log them.
inline constexpr std::string_view kLabelSlrt = "Measured SLR Table";
inline constexpr std::string_view kLabelBootParams = "Measured boot parameters";
inline constexpr std::string_view kLabelSetupData = "Measured Kernel setup_data";
inline constexpr std::string_view kLabelCmdline = "Measured Kernel command line";
inline constexpr std::string_view kLabelEfiMemmap = "Measured EFI memory map";
inline constexpr std::string_view kLabelInitrd = "Measured Kernel initrd";
inline constexpr std::string_view kLabelOsMle = "Measured TXT OS-MLE data";
inline constexpr std::string_view kLabelMb2Info = "Measured MB2 information";
inline constexpr std::string_view kLabelMb2Module = "Measured MB2 module";

inline constexpr std::uint16_t kDrtmCodePcr = 17;
inline constexpr std::uint16_t kDrtmDataPcr = 18;
inline constexpr std::size_t kGrubLinuxPolicySlots = 7;

PolicyEntry make_policy_entry(std::uint16_t pcr, EntityType type, std::uint16_t flags,
                              std::uint64_t entity, std::uint64_t size, std::string_view label);
// A slot GRUB does not need: entity_type SLR_ET_UNUSED, every other field zero.
PolicyEntry unused_policy_entry();

struct MemoryRange {
    std::uint64_t addr = 0;
    std::uint64_t size = 0;
};

// The boot_params values grub_setup_slrt_policy() reads. 64-bit values are the
// low field combined with its ext_* high half, as GRUB combines them.
struct GrubLinuxPolicyInput {
    std::uint64_t slrt_base = 0;
    std::uint64_t boot_params = 0;   // address of the 4 KiB zero page
    std::uint64_t setup_data = 0;    // boot_params.hdr.setup_data; 0 = none
    std::uint64_t cmd_line_ptr = 0;  // 0 = no command line
    std::uint32_t cmdline_size = 0;  // boot_params.hdr.cmdline_size (the maximum, not strlen)
    std::optional<MemoryRange> efi_memmap;  // set only when efi_loader_signature is "EL64"
    std::uint64_t ramdisk_image = 0;        // 0 = no initrd
    std::uint64_t ramdisk_size = 0;
    // Slot 6. Intel: grub_txt_os_mle_policy_entry(); AMD: none (UNUSED).
    std::optional<PolicyEntry> platform_entry;
};

// Slots in order: SLRT, boot params, setup_data, command line, EFI memory map,
// initrd, platform. GRUB tests the low 32 bits of cmd_line_ptr and
// ramdisk_image, and ORs ext_ramdisk_size << 32 into the initrd *address*
// instead of its size (GRUB v11 bug, measurements.md §9); both are reproduced.
Policy grub_linux_policy(const GrubLinuxPolicyInput& input);

// GRUB's OS-MLE slot: PCR 18, TXT_OS2MLE, flags 0, size = sizeof(OS-MLE data).
PolicyEntry grub_txt_os_mle_policy_entry(std::uint64_t os_mle_addr, std::uint64_t os_mle_size);

struct GrubMb2PolicyInput {
    std::uint64_t mbi_addr = 0;
    std::uint32_t mbi_size = 0;  // explicit size, flags 0 (AEM GRUB)
    std::uint64_t slrt_base = 0;
    std::optional<MemoryRange> txt_os_mle;  // Intel only
    std::vector<MemoryRange> modules;       // dom0 kernel, initramfs, ...
};

// MB2 information, SLRT (IMPLICIT_SIZE), [OS-MLE on Intel], then one
// "Measured MB2 module" entry at PCR 17 per module.
Policy grub_mb2_policy(const GrubMb2PolicyInput& input);

// The table GRUB assembles (grub_setup_slr_table()): DL_INFO, LOG_INFO, the
// policy, then the platform entry (INTEL_INFO or AMD_INFO) when given.
Table grub_table(Architecture architecture, std::uint32_t max_size, const DlInfo& dl_info,
                 const LogInfo& log_info, const Policy& policy,
                 const std::optional<Entry>& platform_info);

}  // namespace drtm::slrt
