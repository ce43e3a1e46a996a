// What an Intel platform contributes to a TXT launch that no OS artifact
// determines: SENTER flags, BIOS ACM registration data, S-CRTM status, the
// launch control policy, the STM, the NV index info. A real SINIT reads them
// from the chipset, the TPM NV and the TXT heap; the emulated SINIT reads them
// from a platform description file (JSON, every field optional, defaults
// documented in docs/platform.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "binary/bytes.hpp"

namespace drtm::launch {

struct TxtPlatform {
    std::uint32_t senter_edx = 0;  // GETSEC[SENTER] EDX; GRUB passes 0
    binary::Bytes bios_acm_registration_data = binary::Bytes(32, 0);  // EVTYPE_BIOSAC_REG_DATA
    std::uint32_t cpu_scrtm_status = 1;                               // EVTYPE_CPU_SCRTM_STAT
    std::uint32_t lcp_policy_control = 0;                             // EVTYPE_LCP_CONTROL_HASH
    binary::Bytes lcp_details = {0x00};      // EVTYPE_LCP_DETAILS_HASH: no LCP ⇒ one zero byte
    binary::Bytes lcp_authorities = {0x00};  // EVTYPE_LCP_AUTHORITIES_HASH
    std::optional<binary::Bytes> stm;        // EVTYPE_STM_HASH: H(STM), or H(0x00) without one
    // OsSinitData.Capabilities as GRUB requests them: bits 4, 5 (Details/
    // Authorities PCR mapping) and 9 (TCG event log).
    std::uint32_t os_sinit_capabilities = 0x230;
    binary::Bytes nv_info = {0x00};  // EVTYPE_NV_INFO_HASH
    // LCP PCR18_Extends: where SINIT puts its signer's key hash (17 or 18).
    std::uint32_t sinit_pubkey_pcr = 18;
};

// Throws std::runtime_error naming the file and the offending key.
TxtPlatform load_txt_platform(const std::filesystem::path& path);
TxtPlatform txt_platform_from_json(const nlohmann::json& j, const std::string& origin);
nlohmann::json to_json(const TxtPlatform& p);

}  // namespace drtm::launch
