// The registrar's side of enrollment: before a verifier trusts quotes from
// an AK, it checks the EK (TCG template, certificate chaining to a trusted
// root, the certificate's key being the EK) and the AK (a restricted signing
// key), then challenges the attester with a secret only a TPM holding both
// keys can recover (MakeCredential / ActivateCredential).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "attest/credential.hpp"

namespace drtm::attest {

struct EnrollmentRequest {
    std::string node;
    binary::Bytes ek_public;                      // TPM2B_PUBLIC
    std::optional<binary::Bytes> ek_certificate;  // DER
    binary::Bytes ak_public;                      // TPM2B_PUBLIC
};

struct EnrollmentPolicy {
    std::vector<binary::Bytes> roots;  // trusted EK CA certificates (DER)
    std::vector<binary::Bytes> intermediates;
    bool require_certificate = true;  // false only for labs without EK certificates
};

// What the registrar keeps until the attester answers; `credential` is what
// it sends.
struct EnrollmentChallenge {
    Credential credential;
    binary::Bytes secret;  // never sent
    binary::Bytes ek_name;
    binary::Bytes ak_name;
};

class EnrollmentRefused : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Throws EnrollmentRefused with the reason (malformed keys, EK outside the
// template, missing or untrusted certificate, AK not a restricted signer).
EnrollmentChallenge begin_enrollment(const EnrollmentRequest& request,
                                     const EnrollmentPolicy& policy);

// Whether the attester's answer is the secret (compared in constant time).
bool finish_enrollment(const EnrollmentChallenge& challenge, binary::ByteView answer);

}  // namespace drtm::attest
