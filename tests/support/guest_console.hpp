// What the inspection guest (scripts/guest/guest-init.sh) prints on its
// console before GUEST-READY: the DRTM log it read from fw_cfg and its
// TPM's PCR 17-22, read back by the e2e tests.
#pragma once

#include <algorithm>
#include <cctype>
#include <regex>
#include <string>

namespace testsupport {

// "DRTM-LOG sha256 <hex> bytes <n>": the hex digest (lower case), or
// "none" when the guest found no log, or "" when the line is missing.
inline std::string guest_log_sha256(const std::string& console) {
    std::smatch m;
    if (std::regex_search(console, m, std::regex("DRTM-LOG sha256 ([0-9a-f]{64}) bytes")))
        return m[1];
    return console.find("DRTM-LOG none") != std::string::npos ? "none" : "";
}

// "DRTM-PCR sha256 <n> <HEX>": PCR n as the guest's TPM driver reads it,
// lower case; "" when missing.
inline std::string guest_pcr_sha256(const std::string& console, int pcr) {
    std::smatch m;
    if (!std::regex_search(
            console, m, std::regex("DRTM-PCR sha256 " + std::to_string(pcr) + " ([0-9A-F]{64})")))
        return "";
    std::string hex = m[1];
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return hex;
}

}  // namespace testsupport
