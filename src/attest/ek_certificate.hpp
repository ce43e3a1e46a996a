// Checking an attester's EK certificate: it chains to a CA root the
// registrar trusts, and it certifies this EK (the same public key).
#pragma once

#include <string>
#include <vector>

#include "attest/credential.hpp"

namespace drtm::attest {

// Empty when sound, else the reason.
std::string ek_certificate_problem(const EndorsementKeyPublic& ek, binary::ByteView certificate_der,
                                   const std::vector<binary::Bytes>& roots,
                                   const std::vector<binary::Bytes>& intermediates = {});

}  // namespace drtm::attest
