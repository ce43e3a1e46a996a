// Constants of the Secure Launch Resource Table, current layout (Secure Launch
// specification v0.6 / Linux Secure Launch v10+). reference/formats.md §1.1–1.3.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace drtm::slrt {

inline constexpr std::uint32_t kTableMagic = 0x4452544D;  // bytes 4D 54 52 44 in memory
inline constexpr std::uint16_t kTableRevision = 1;
inline constexpr std::uint16_t kPolicyRevision = 1;
inline constexpr std::uint16_t kUefiConfigRevision = 1;
inline constexpr std::uint32_t kTableHeaderSize = 16;
inline constexpr std::uint32_t kEntryHeaderSize = 8;
inline constexpr std::size_t kEventInfoLength = 32;      // TPM_EVENT_INFO_LENGTH
inline constexpr std::size_t kVariableMtrrs = 32;        // TXT_VARIABLE_MTRRS_LENGTH
inline constexpr std::uint32_t kSetupSecureLaunch = 10;  // Linux setup_data type of AMD info

enum class Architecture : std::uint16_t {
    intel_txt = 1,
    amd_skinit = 2,
};

// Entry tags (u32 in the current layout's entry header).
enum class Tag : std::uint32_t {
    invalid = 0x0000,
    dl_info = 0x0001,
    log_info = 0x0002,
    entry_policy = 0x0003,  // GRUB and Xen: SLR_ENTRY_DRTM_POLICY
    intel_info = 0x0004,
    amd_info = 0x0005,
    arm_info = 0x0006,
    uefi_info = 0x0007,
    uefi_config = 0x0008,
    end = 0xFFFF,
};

// slr_policy_entry.entity_type.
enum class EntityType : std::uint16_t {
    unspecified = 0x0000,
    slrt = 0x0001,
    boot_params = 0x0002,
    setup_data = 0x0003,
    cmdline = 0x0004,
    uefi_memmap = 0x0005,
    ramdisk = 0x0006,
    multiboot2_info = 0x0007,
    multiboot2_module = 0x0008,
    txt_os2mle = 0x0010,
    unused = 0xFFFF,
};

// slr_policy_entry.flags bits.
inline constexpr std::uint16_t kPolicyFlagMeasured = 0x0001;
inline constexpr std::uint16_t kPolicyFlagImplicitSize = 0x0002;

// slr_entry_log_info.format.
enum class LogFormat : std::uint16_t {
    tpm12_txt = 1,
    tpm20_tcg = 2,
};

// slr_bl_context.bootloader.
enum class Bootloader : std::uint16_t {
    invalid = 0,
    grub = 1,
};

// Names as the specification spells them ("DL_INFO", "SLR_ET_CMDLINE" without
// the prefix, ...). Unknown values print as hex so a bad table stays readable.
std::string tag_name(std::uint32_t tag);
std::string architecture_name(std::uint16_t architecture);
std::string entity_type_name(std::uint16_t entity_type);
std::string log_format_name(std::uint16_t format);
std::string bootloader_name(std::uint16_t bootloader);
// "MEASURED|IMPLICIT_SIZE", "0" when no bit is set, unknown bits as hex.
std::string policy_flags_name(std::uint16_t flags);

bool is_known_architecture(std::uint16_t architecture);

}  // namespace drtm::slrt
