// drtm's ECDSA P-256 against the openssl command line: keys and signatures
// made by one are accepted by the other.
#include "crypto/ecdsa_key.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "crypto/digest.hpp"
#include "support/run_command.hpp"

using namespace drtm;
namespace fs = std::filesystem;
using testsupport::quote;
using testsupport::run_command;

namespace {
class EcdsaKeyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-ecdsa-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const char* name) const { return (dir_ / name).string(); }
    fs::path dir_;
};
}  // namespace

TEST_F(EcdsaKeyTest, SignsWhatOpensslVerifies) {
    auto key = crypto::EcdsaP256Key::generate();
    key.save_private_pem(path("key.pem"));
    EXPECT_EQ(fs::status(path("key.pem")).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    binary::write_file_atomic(path("pub.pem"), std::string_view(key.public_pem()));
    auto text = binary::as_bytes("an approved policy digest");
    binary::Bytes message(text.begin(), text.end());
    binary::write_file_atomic(path("msg"), binary::ByteView(message));
    auto sig = key.sign_digest(crypto::hash(crypto::HashAlg::sha256, message));
    binary::write_file_atomic(path("sig.der"),
                              binary::ByteView(crypto::ecdsa_signature_to_der(sig)));
    auto r = run_command("openssl dgst -sha256 -verify " + quote(path("pub.pem")) + " -signature " +
                         quote(path("sig.der")) + " " + quote(path("msg")));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST_F(EcdsaKeyTest, VerifiesWhatOpensslSigns) {
    auto gen = run_command("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                           quote(path("k.pem")));
    ASSERT_EQ(gen.status, 0) << gen.err;
    binary::write_file_atomic(path("msg"), std::string_view("hello"));
    auto sign = run_command("openssl dgst -sha256 -sign " + quote(path("k.pem")) + " -out " +
                            quote(path("sig.der")) + " " + quote(path("msg")));
    ASSERT_EQ(sign.status, 0) << sign.err;
    auto key = crypto::EcdsaP256Key::load_private_pem(path("k.pem"));
    auto sig = crypto::ecdsa_signature_from_der(binary::read_file(path("sig.der")));
    auto digest = crypto::hash(crypto::HashAlg::sha256, binary::as_bytes("hello"));
    EXPECT_TRUE(key.verify_digest(digest, sig));
    auto pub = crypto::EcdsaP256Key::from_public_point(key.public_point());
    EXPECT_FALSE(pub.has_private());
    EXPECT_TRUE(pub.verify_digest(digest, sig));
    digest[0] ^= 1;
    EXPECT_FALSE(pub.verify_digest(digest, sig));
    EXPECT_THROW(pub.sign_digest(digest), std::runtime_error);
}

TEST_F(EcdsaKeyTest, DerRoundTripAndMalformedDer) {
    auto key = crypto::EcdsaP256Key::generate();
    auto sig = key.sign_digest(binary::Bytes(32, 7));
    auto back = crypto::ecdsa_signature_from_der(crypto::ecdsa_signature_to_der(sig));
    EXPECT_EQ(back.r, sig.r);
    EXPECT_EQ(back.s, sig.s);
    auto der = crypto::ecdsa_signature_to_der(sig);
    der.push_back(0);  // trailing garbage
    EXPECT_THROW(crypto::ecdsa_signature_from_der(der), std::runtime_error);
    EXPECT_THROW(crypto::ecdsa_signature_from_der(binary::Bytes{0x30, 0x02}), std::runtime_error);
}

TEST_F(EcdsaKeyTest, RejectsOtherKeysAndPointsOffTheCurve) {
    auto gen = run_command("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " +
                           quote(path("rsa.pem")));
    ASSERT_EQ(gen.status, 0) << gen.err;
    try {
        crypto::EcdsaP256Key::load_private_pem(path("rsa.pem"));
        FAIL() << "an RSA key is not a P-256 key";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("rsa.pem"), std::string::npos) << e.what();
    }
    auto point = crypto::EcdsaP256Key::generate().public_point();
    point.y[31] ^= 1;
    EXPECT_THROW(crypto::EcdsaP256Key::from_public_point(point), std::runtime_error);
}
