// Event types found in TCG and DRTM logs, and their names.
//
// An event's type is NOT covered by its digest: anyone who can write the log
// can relabel a measurement. Names are for people; decisions must rest on the
// digests and the PCR values they replay to (DESIGN.md, "Conventions").
#pragma once

#include <cstdint>
#include <string>

namespace drtm::eventlog {

// TCG PC Client Platform Firmware Profile.
namespace tcg {
inline constexpr std::uint32_t ev_preboot_cert = 0x0;
inline constexpr std::uint32_t ev_post_code = 0x1;
inline constexpr std::uint32_t ev_unused = 0x2;
inline constexpr std::uint32_t ev_no_action = 0x3;
inline constexpr std::uint32_t ev_separator = 0x4;
inline constexpr std::uint32_t ev_action = 0x5;
inline constexpr std::uint32_t ev_event_tag = 0x6;
inline constexpr std::uint32_t ev_s_crtm_contents = 0x7;
inline constexpr std::uint32_t ev_s_crtm_version = 0x8;
inline constexpr std::uint32_t ev_cpu_microcode = 0x9;
inline constexpr std::uint32_t ev_ipl = 0xD;
inline constexpr std::uint32_t ev_efi_event_base = 0x80000000;
inline constexpr std::uint32_t ev_efi_action = 0x80000007;
}  // namespace tcg

// Intel TXT (SDG Table 35) and Secure Launch (formats.md §5).
namespace drtm_types {
inline constexpr std::uint32_t txt_base = 0x400;
inline constexpr std::uint32_t txt_pcr_mapping = 0x401;
inline constexpr std::uint32_t txt_hash_start = 0x402;
inline constexpr std::uint32_t txt_mle_hash = 0x404;
inline constexpr std::uint32_t txt_random_value = 0x4FE;
inline constexpr std::uint32_t txt_cap_value = 0x4FF;
inline constexpr std::uint32_t tboot_hash = 0x501;
inline constexpr std::uint32_t slaunch = 0x502;        // every Secure Launch measurement
inline constexpr std::uint32_t slaunch_start = 0x503;  // marker, never extended
inline constexpr std::uint32_t slaunch_end = 0x504;    // marker, never extended
}  // namespace drtm_types

// "EV_NO_ACTION", "EVTYPE_HASH_START", "SL_EVTYPE_SLAUNCH", ... or
// "unknown (0x1234)" for a type drtm does not know.
std::string event_type_name(std::uint32_t type);

// True for the Secure Launch start/end markers that Linux logs but never
// extends (0x503, 0x504).
inline bool is_slaunch_marker(std::uint32_t type) {
    return type == drtm_types::slaunch_start || type == drtm_types::slaunch_end;
}

}  // namespace drtm::eventlog
