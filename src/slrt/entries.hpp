// Typed model of the SLRT entries, current layout (reference/formats.md §1.4–1.10).
// Reserved fields are kept so that parse → serialize reproduces the bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "binary/bytes.hpp"
#include "slrt/constants.hpp"

namespace drtm::slrt {

using binary::Bytes;
using binary::ByteView;

// A fixed 32-byte label (evt_info). It may fill all 32 bytes with no NUL, so it
// is stored as bytes; label() reads at most 32 bytes, stopping at the first NUL.
using EventInfo = std::array<std::uint8_t, kEventInfoLength>;
EventInfo make_event_info(std::string_view label);  // throws BuildError if > 32 bytes
std::string event_info_label(const EventInfo& info);

// slr_bl_context (16 bytes).
struct BlContext {
    std::uint16_t bootloader = static_cast<std::uint16_t>(Bootloader::grub);
    std::array<std::uint16_t, 3> reserved{};
    std::uint64_t context = 0;  // bootloader-private pointer
    bool operator==(const BlContext&) const = default;
};

// slr_entry_dl_info (tag 1, 72 bytes).
struct DlInfo {
    static constexpr std::uint32_t kSize = 72;
    std::uint64_t dce_size = 0;
    std::uint64_t dce_base = 0;
    std::uint64_t dlme_size = 0;
    std::uint64_t dlme_base = 0;
    std::uint64_t dlme_entry = 0;  // offset from dlme_base (MLE header entry_point)
    BlContext bl_context;
    std::uint64_t dl_handler = 0;
    bool operator==(const DlInfo&) const = default;
};

// slr_entry_log_info (tag 2, 24 bytes).
struct LogInfo {
    static constexpr std::uint32_t kSize = 24;
    std::uint16_t format = static_cast<std::uint16_t>(LogFormat::tpm20_tcg);
    std::uint16_t reserved = 0;
    std::uint32_t size = 0;  // bytes allocated for the log
    std::uint64_t addr = 0;
    bool operator==(const LogInfo&) const = default;
};

// slr_policy_entry (56 bytes).
struct PolicyEntry {
    static constexpr std::uint32_t kSize = 56;
    std::uint16_t pcr = 0;
    std::uint16_t entity_type = static_cast<std::uint16_t>(EntityType::unspecified);
    std::uint16_t flags = 0;
    std::uint16_t reserved = 0;
    std::uint64_t size = 0;
    std::uint64_t entity = 0;  // physical address
    EventInfo evt_info{};

    std::string label() const { return event_info_label(evt_info); }
    bool unused() const { return entity_type == static_cast<std::uint16_t>(EntityType::unused); }
    bool operator==(const PolicyEntry&) const = default;
};

// slr_entry_policy (tag 3): 16-byte header, then nr_entries × 56 bytes.
struct Policy {
    static constexpr std::uint32_t kHeaderSize = 16;
    std::array<std::uint16_t, 2> reserved{};
    std::uint16_t revision = kPolicyRevision;
    std::vector<PolicyEntry> entries;
    bool operator==(const Policy&) const = default;
};

// slr_txt_mtrr_state (528 bytes).
struct MtrrPair {
    std::uint64_t physbase = 0;
    std::uint64_t physmask = 0;
    bool operator==(const MtrrPair&) const = default;
};
struct MtrrState {
    static constexpr std::uint32_t kSize = 16 + 16 * kVariableMtrrs;
    std::uint64_t default_mem_type = 0;
    std::uint64_t mtrr_vcnt = 0;
    std::array<MtrrPair, kVariableMtrrs> pairs{};
    bool operator==(const MtrrState&) const = default;
};

// The two slr_entry_intel_info layouts in use (formats.md §1.8).
enum class IntelInfoLayout {
    with_boot_params,  // variant A, 560 bytes: 2025 kernel and 2026 variant
    spec,              // variant B, 552 bytes: spec v0.6, GRUB v11, AEM GRUB, Xen
};
std::uint32_t intel_info_size(IntelInfoLayout layout);

// slr_entry_intel_info (tag 4).
struct IntelInfo {
    IntelInfoLayout layout = IntelInfoLayout::spec;
    std::uint64_t boot_params_addr = 0;  // variant A only; must be 0 in variant B
    std::uint64_t txt_heap = 0;
    std::uint64_t saved_misc_enable_msr = 0;
    MtrrState saved_bsp_mtrrs;
    bool operator==(const IntelInfo&) const = default;
};

// The two slr_entry_amd_info forms (formats.md §1.9).
enum class AmdInfoLayout {
    setup_data,   // 56 bytes: spec, newer SKL, Linux AMD RFC
    header_only,  // 8 bytes: AEM GRUB and Xen, 2023 Linux
};
std::uint32_t amd_info_size(AmdInfoLayout layout);

// slr_entry_amd_info (tag 5). next/type/len form a Linux struct setup_data.
struct AmdInfo {
    AmdInfoLayout layout = AmdInfoLayout::setup_data;
    std::uint64_t next = 0;
    std::uint32_t type = kSetupSecureLaunch;
    // What GRUB writes here is sizeof(slr_entry_amd_info) = 56 (slaunch/skl.c),
    // not the 32 bytes that follow the field as setup_data semantics would say.
    std::uint32_t len = 56;
    std::uint64_t slrt_size = 0;
    std::uint64_t slrt_base = 0;
    std::uint64_t boot_params_base = 0;
    std::uint16_t psp_version = 0;
    std::array<std::uint16_t, 3> reserved{};
    bool operator==(const AmdInfo&) const = default;
};

// slr_uefi_cfg_entry (48 bytes).
struct UefiConfigEntry {
    static constexpr std::uint32_t kSize = 48;
    std::uint16_t pcr = 0;
    std::uint16_t reserved = 0;
    std::uint32_t size = 0;
    std::uint64_t cfg = 0;  // address or value
    EventInfo evt_info{};
    std::string label() const { return event_info_label(evt_info); }
    bool operator==(const UefiConfigEntry&) const = default;
};

// slr_entry_uefi_config (tag 8): 16-byte header, then nr_entries × 48 bytes.
struct UefiConfig {
    static constexpr std::uint32_t kHeaderSize = 16;
    std::array<std::uint16_t, 2> reserved{};
    std::uint16_t revision = kUefiConfigRevision;
    std::vector<UefiConfigEntry> entries;
    bool operator==(const UefiConfig&) const = default;
};

// Any entry kept as bytes: the header-only ARM_INFO and UEFI_INFO placeholders
// and tags this code does not know (kept so that a newer table round-trips).
struct OpaqueEntry {
    std::uint32_t tag = static_cast<std::uint32_t>(Tag::arm_info);
    Bytes payload;  // bytes after the 8-byte entry header
    bool operator==(const OpaqueEntry&) const = default;
};

using Entry = std::variant<DlInfo, LogInfo, Policy, IntelInfo, AmdInfo, UefiConfig, OpaqueEntry>;

std::uint32_t entry_tag(const Entry& entry);
// Encoded size including the 8-byte header; throws BuildError if it does not fit in u32.
std::uint32_t entry_size(const Entry& entry);

}  // namespace drtm::slrt
