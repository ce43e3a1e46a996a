// Enrollment on a real swtpm with EK certificates: the registrar checks the
// EK and the AK, challenges with MakeCredential, and only the TPM holding
// both answers; impostors are refused with the reason.
#include <gtest/gtest.h>

#include "attest/attester_keys.hpp"
#include "attest/enrollment.hpp"
#include "binary/file_io.hpp"
#include "crypto/x509.hpp"
#include "launch/emulated_platform.hpp"

using namespace drtm;

namespace {
class Enrollment : public ::testing::Test {
  protected:
    void SetUp() override {
        tpm::Tpm t(platform_.tcti());
        keys_ = attest::create_attester_keys(t, tpm::EkType::ecc_p256);
        auto pem = binary::read_file(platform_.state_dir() / "ek-ca.pem");
        policy_.roots = crypto::pem_certificates(std::string(pem.begin(), pem.end()));
    }
    attest::EnrollmentRequest request(const attest::AttesterKeys& k) {
        return {"node-1", k.ek.public_area, k.ek.certificate, k.ak.public_area};
    }
    std::string refusal(const attest::EnrollmentRequest& r) {
        try {
            attest::begin_enrollment(r, policy_);
        } catch (const attest::EnrollmentRefused& e) {
            return e.what();
        }
        return "";
    }
    launch::ScopedPlatform platform_{{crypto::HashAlg::sha256}, {true}};
    attest::AttesterKeys keys_;
    attest::EnrollmentPolicy policy_;
};
}  // namespace

TEST_F(Enrollment, TheTpmHoldingBothKeysAnswers) {
    auto challenge = attest::begin_enrollment(request(keys_), policy_);
    EXPECT_EQ(challenge.ak_name, keys_.ak_name);
    EXPECT_EQ(challenge.ek_name, keys_.ek.name);
    tpm::Tpm t(platform_.tcti());
    auto answer =
        t.activate_credential(keys_.ak, keys_.ek_type, challenge.credential.credential_blob,
                              challenge.credential.encrypted_secret);
    EXPECT_TRUE(attest::finish_enrollment(challenge, answer));
    answer[0] ^= 1;
    EXPECT_FALSE(attest::finish_enrollment(challenge, answer));
}

TEST_F(Enrollment, AnAkFromAnotherTpmCannotAnswer) {
    // An attacker pairs this TPM's certified EK with an AK of another TPM.
    launch::ScopedPlatform elsewhere({crypto::HashAlg::sha256});
    attest::AttesterKeys foreign;
    {
        tpm::Tpm t(elsewhere.tcti());
        foreign = attest::create_attester_keys(t, tpm::EkType::ecc_p256);
    }
    auto r = request(keys_);
    r.ak_public = foreign.ak.public_area;
    auto challenge = attest::begin_enrollment(r, policy_);  // looks fine on paper
    tpm::Tpm other(elsewhere.tcti());
    EXPECT_THROW(
        other.activate_credential(foreign.ak, foreign.ek_type, challenge.credential.credential_blob,
                                  challenge.credential.encrypted_secret),
        tpm::TpmError)
        << "the other TPM does not hold the certified EK";
    tpm::Tpm here(platform_.tcti());
    EXPECT_THROW(
        here.activate_credential(keys_.ak, keys_.ek_type, challenge.credential.credential_blob,
                                 challenge.credential.encrypted_secret),
        tpm::TpmError)
        << "this TPM's AK is not the one named in the credential";
}

TEST_F(Enrollment, UntrustedOrMissingCertificatesAndBadKeysAreRefused) {
    auto r = request(keys_);
    r.ek_certificate.reset();
    EXPECT_NE(refusal(r).find("requires one"), std::string::npos);
    policy_.roots = {crypto::make_certificate_authority("untrusted").certificate_der};
    EXPECT_NE(refusal(request(keys_)).find("does not chain"), std::string::npos);

    auto pem = binary::read_file(platform_.state_dir() / "ek-ca.pem");
    policy_.roots = crypto::pem_certificates(std::string(pem.begin(), pem.end()));
    r = request(keys_);
    r.ak_public = keys_.ek.public_area;  // an EK is not a signing key
    EXPECT_NE(refusal(r).find("AK:"), std::string::npos);
    r = request(keys_);
    r.ek_public = keys_.ak.public_area;
    EXPECT_NE(refusal(r).find("EK:"), std::string::npos);
}
