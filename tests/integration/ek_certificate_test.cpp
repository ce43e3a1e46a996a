// The emulated platform's EK certificates: issued at manufacture into the
// TCG NV indices, verified by OpenSSL's command line against the platform's
// CA, matched to the EK, and refused under another root or for another key.
#include <gtest/gtest.h>

#include <filesystem>

#include "attest/attester_keys.hpp"
#include "attest/ek_certificate.hpp"
#include "binary/file_io.hpp"
#include "crypto/x509.hpp"
#include "launch/ek_provisioning.hpp"
#include "launch/emulated_platform.hpp"
#include "support/run_command.hpp"

using namespace drtm;
namespace fs = std::filesystem;

TEST(EkCertificates, IssuedAtManufactureAndVerified) {
    launch::ScopedPlatform platform({crypto::HashAlg::sha256}, {true});
    const auto ca_pem = platform.state_dir() / "ek-ca.pem";
    ASSERT_TRUE(fs::exists(ca_pem));
    auto roots = crypto::pem_certificates([&] {
        auto b = binary::read_file(ca_pem);
        return std::string(b.begin(), b.end());
    }());
    EXPECT_FALSE(launch::provision_ek_certificates(platform.state_dir(), platform.tcti()))
        << "provisioned once";

    std::map<tpm::EkType, attest::AttesterKeys> keys;
    for (auto type : {tpm::EkType::rsa2048, tpm::EkType::ecc_p256}) {
        {
            tpm::Tpm t(platform.tcti());
            keys[type] = attest::create_attester_keys(t, type);
        }
        const auto& k = keys[type];
        ASSERT_TRUE(k.ek.certificate) << "certificate in NV";
        auto ek = attest::parse_endorsement_key(k.ek.public_area);
        EXPECT_EQ(attest::ek_certificate_problem(ek, *k.ek.certificate, roots), "");

        // OpenSSL's own verification of the chain.
        auto pem = platform.state_dir() / "ek.pem";
        binary::write_file_atomic(pem, std::string_view(crypto::der_to_pem(*k.ek.certificate)));
        auto r = testsupport::run_command("openssl verify -CAfile " +
                                          testsupport::quote(ca_pem.string()) + " " +
                                          testsupport::quote(pem.string()));
        EXPECT_EQ(r.status, 0) << r.out << r.err;
    }

    // Another root: refused. The RSA certificate presented for the ECC EK: refused.
    auto other = crypto::make_certificate_authority("someone else");
    auto ecc = attest::parse_endorsement_key(keys[tpm::EkType::ecc_p256].ek.public_area);
    EXPECT_NE(attest::ek_certificate_problem(ecc, *keys[tpm::EkType::ecc_p256].ek.certificate,
                                             {other.certificate_der})
                  .find("does not chain"),
              std::string::npos);
    EXPECT_EQ(
        attest::ek_certificate_problem(ecc, *keys[tpm::EkType::rsa2048].ek.certificate, roots),
        "EK certificate is for another key");
}

TEST(EkCertificates, PlatformWithoutCertificatesHasNone) {
    launch::ScopedPlatform platform({crypto::HashAlg::sha256});
    tpm::Tpm t(platform.tcti());
    EXPECT_FALSE(t.endorsement_key(tpm::EkType::ecc_p256).certificate);
    EXPECT_FALSE(fs::exists(platform.state_dir() / "ek-ca.pem"));
}

TEST(EkCertificates, CheckEkCommand) {
    launch::ScopedPlatform platform({crypto::HashAlg::sha256}, {true});
    const auto keys = (platform.state_dir() / "keys.json").string();
    auto r = testsupport::run_command(testsupport::drtm_cmd("attest keys --tcti " +
                                                            testsupport::quote(platform.tcti()) +
                                                            " --out " + testsupport::quote(keys)));
    ASSERT_EQ(r.status, 0) << r.err;
    r = testsupport::run_command(
        testsupport::drtm_cmd("attest check-ek --keys " + testsupport::quote(keys) + " --roots " +
                              testsupport::quote((platform.state_dir() / "ek-ca.pem").string())));
    EXPECT_EQ(r.status, 0) << r.err;
    auto other = crypto::make_certificate_authority("someone else");
    const auto other_pem = platform.state_dir() / "other.pem";
    binary::write_file_atomic(other_pem,
                              std::string_view(crypto::der_to_pem(other.certificate_der)));
    r = testsupport::run_command(testsupport::drtm_cmd("attest check-ek --keys " +
                                                       testsupport::quote(keys) + " --roots " +
                                                       testsupport::quote(other_pem.string())));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("does not chain"), std::string::npos) << r.err;
}
