#include "attest/enrollment.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "attest/ek_certificate.hpp"
#include "attest/tpm_structures.hpp"
#include "binary/error.hpp"

namespace drtm::attest {

EnrollmentChallenge begin_enrollment(const EnrollmentRequest& request,
                                     const EnrollmentPolicy& policy) {
    EndorsementKeyPublic ek;
    AttestationKey ak;
    try {
        ek = parse_endorsement_key(request.ek_public);
    } catch (const binary::ParseError& e) {
        throw EnrollmentRefused(std::string("EK: ") + e.what());
    }
    try {
        ak = parse_attestation_key(request.ak_public);
    } catch (const binary::ParseError& e) {
        throw EnrollmentRefused(std::string("AK: ") + e.what());
    }
    if (request.ek_certificate) {
        auto problem =
            ek_certificate_problem(ek, *request.ek_certificate, policy.roots, policy.intermediates);
        if (!problem.empty()) throw EnrollmentRefused(problem);
    } else if (policy.require_certificate) {
        throw EnrollmentRefused("no EK certificate, and the registrar requires one");
    }
    EnrollmentChallenge c;
    c.secret.resize(32);
    if (RAND_bytes(c.secret.data(), 32) != 1) throw std::runtime_error("no randomness");
    c.credential = make_credential(ek, ak.name, c.secret);
    c.ek_name = ek.name;
    c.ak_name = ak.name;
    return c;
}

bool finish_enrollment(const EnrollmentChallenge& challenge, binary::ByteView answer) {
    return answer.size() == challenge.secret.size() &&
           CRYPTO_memcmp(answer.data(), challenge.secret.data(), answer.size()) == 0;
}

}  // namespace drtm::attest
