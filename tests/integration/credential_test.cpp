// MakeCredential in software against a real TPM's ActivateCredential (and
// tpm2_makecredential's output against drtm's activation), for both EK
// templates: the registrar's proof that the AK and the EK share a TPM.
#include <gtest/gtest.h>

#include <filesystem>

#include "attest/attester_keys.hpp"
#include "attest/credential.hpp"
#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "launch/emulated_platform.hpp"
#include "support/run_command.hpp"

using namespace drtm;
namespace fs = std::filesystem;

class Credential : public ::testing::TestWithParam<tpm::EkType> {
  protected:
    void SetUp() override {
        tpm::Tpm t(platform_.tcti());
        keys_ = attest::create_attester_keys(t, GetParam());
    }
    launch::ScopedPlatform platform_;
    attest::AttesterKeys keys_;
};

TEST_P(Credential, TheTpmActivatesWhatDrtmMakes) {
    auto ek = attest::parse_endorsement_key(keys_.ek.public_area);
    EXPECT_EQ(ek.name, keys_.ek.name) << "drtm's EK name is the TPM's";
    const auto secret =
        binary::from_hex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
    auto cred = attest::make_credential(ek, keys_.ak_name, secret);
    tpm::Tpm t(platform_.tcti());
    EXPECT_EQ(
        t.activate_credential(keys_.ak, GetParam(), cred.credential_blob, cred.encrypted_secret),
        secret);

    // Bound to another AK's name: the TPM refuses (integrity check).
    auto other = keys_.ak_name;
    other.back() ^= 1;
    auto wrong = attest::make_credential(ek, other, secret);
    EXPECT_THROW(
        t.activate_credential(keys_.ak, GetParam(), wrong.credential_blob, wrong.encrypted_secret),
        tpm::TpmError);
}

TEST_P(Credential, DrtmActivatesWhatTpm2MakecredentialMakes) {
    if (::system("command -v tpm2_makecredential >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "tpm2-tools missing";
    auto dir = fs::temp_directory_path() / ("drtm-cred-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    binary::write_file_atomic(dir / "ek.pub", binary::ByteView(keys_.ek.public_area));
    binary::write_file_atomic(dir / "secret", std::string_view("tpm2-tools made this"));
    auto q = [&](const char* f) { return testsupport::quote((dir / f).string()); };
    auto r = testsupport::run_command("tpm2_makecredential -T none -u " + q("ek.pub") + " -s " +
                                      q("secret") + " -n " + binary::to_hex(keys_.ak_name) +
                                      " -o " + q("cred.out"));
    ASSERT_EQ(r.status, 0) << r.err;
    // tpm2-tools' file: BADCC0DE, version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET.
    auto file = binary::read_file(dir / "cred.out");
    ASSERT_GT(file.size(), 12u);
    ASSERT_EQ(binary::to_hex(binary::ByteView(file.data(), 8)), "badcc0de00000001");
    std::size_t id_len = 2 + ((file[8] << 8) | file[9]);
    binary::Bytes id(file.begin() + 8, file.begin() + 8 + id_len);
    binary::Bytes secret(file.begin() + 8 + id_len, file.end());
    tpm::Tpm t(platform_.tcti());
    auto got = t.activate_credential(keys_.ak, GetParam(), id, secret);
    EXPECT_EQ(std::string(got.begin(), got.end()), "tpm2-tools made this");
    fs::remove_all(dir);
}

TEST_P(Credential, EkPublicAreasOutsideTheTemplateAreRefused) {
    auto bad = keys_.ek.public_area;
    bad[9] ^= 0x40;  // an attribute bit
    EXPECT_THROW(attest::parse_endorsement_key(bad), binary::ParseError);
    bad = keys_.ek.public_area;
    bad[14] ^= 1;  // the policy
    EXPECT_THROW(attest::parse_endorsement_key(bad), binary::ParseError);
    EXPECT_THROW(attest::parse_endorsement_key(keys_.ak.public_area), binary::ParseError);
}

INSTANTIATE_TEST_SUITE_P(EkTemplates, Credential,
                         ::testing::Values(tpm::EkType::ecc_p256, tpm::EkType::rsa2048),
                         [](const auto& info) {
                             return info.param == tpm::EkType::rsa2048 ? "rsa2048" : "ecc_p256";
                         });
