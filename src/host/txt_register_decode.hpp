// What the TXT public registers' bits mean (SDG Appendix B; the same layouts
// as tboot's config_regs.h and errorcode.h). ERRORCODE is decoded as tboot's
// txt_display_errors() does, plus the Secure Launch codes Linux and Xen write
// before a TXT reset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/txt_registers.hpp"

namespace drtm::host {

struct RegisterField {
    std::string name;   // "SENTER.DONE.STS"
    std::string value;  // "1", "0x8086", "SINIT"
};

struct DecodedRegister {
    TxtRegister raw;
    std::vector<RegisterField> fields;
    std::string meaning;  // one line for people; "" when the bits say nothing more
};

// The decoding of every register in `regs` (unknown ones get no fields).
std::vector<DecodedRegister> decode_txt_registers(const TxtRegisters& regs);

// TXT.ERRORCODE in words: "no error", "processor error 7 (AUTH_FAIL)",
// "SINIT ACM error: progress 0x0d, error 0x0a, TPM error 0x…",
// "Secure Launch error 0xc0008004 (TPM_LOGGING_FAILED)".
std::string describe_errorcode(std::uint32_t errorcode);

// Whether the registers say a measured launch happened (STS.SENTER.DONE).
bool senter_done(std::uint64_t sts);

}  // namespace drtm::host
