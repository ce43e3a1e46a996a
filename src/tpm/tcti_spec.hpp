// A TCTI configuration string ("device:/dev/tpmrm0", "swtpm:path=/run/x.sock",
// "swtpm:port=2321") split into the parts drtm needs beyond tpm2-tss: where
// the swtpm control channel is, for the DRTM hash sequence tpm2-tss cannot send.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace drtm::tpm {

struct ControlEndpoint {
    std::string unix_path;  // set for a Unix-socket swtpm
    std::string host;       // set for a TCP swtpm
    std::uint16_t port = 0;
};

struct TctiSpec {
    std::string name;  // "device", "swtpm", "mssim", ...
    std::string conf;  // the text after the first ':'
    std::string full;  // the string tpm2-tss is given

    // swtpm's control channel: path + ".ctrl", or data port + 1 (the
    // convention the swtpm TCTI itself requires).
    std::optional<ControlEndpoint> swtpm_control() const;
    // A file next to the swtpm sockets that serialises TPM traffic between
    // drtm processes (so no command slips into a DRTM hash sequence).
    std::optional<std::string> lock_path() const;
};

// Throws std::invalid_argument with a readable reason.
TctiSpec parse_tcti(const std::string& text);

}  // namespace drtm::tpm
