// ES256 JWS against an independent implementation (Python's `cryptography`,
// RFC 4648 test vectors): tokens drtm signs verify there, and tokens signed
// there verify in drtm.
#include "crypto/jws.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "support/run_command.hpp"

using namespace drtm;
namespace fs = std::filesystem;
using testsupport::quote;
using testsupport::run_command;

namespace {
// Verifies or signs a compact ES256 JWS with Python's cryptography module.
const char* kPython = R"PY(
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature, decode_dss_signature
def b64d(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
mode, keyfile = sys.argv[1], sys.argv[2]
if mode == 'verify':
    key = serialization.load_pem_public_key(open(keyfile, 'rb').read())
    h, p, s = sys.stdin.read().strip().split('.')
    raw = b64d(s)
    sig = encode_dss_signature(int.from_bytes(raw[:32], 'big'), int.from_bytes(raw[32:], 'big'))
    key.verify(sig, (h + '.' + p).encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(b64d(h))['alg'] == 'ES256'
    sys.stdout.write(b64d(p).decode())
else:
    key = serialization.load_pem_private_key(open(keyfile, 'rb').read(), None)
    h = b64e(json.dumps({'alg': 'ES256'}).encode()); p = b64e(sys.stdin.read().encode())
    r, s = decode_dss_signature(key.sign((h + '.' + p).encode(), ec.ECDSA(hashes.SHA256())))
    print(h + '.' + p + '.' + b64e(r.to_bytes(32, 'big') + s.to_bytes(32, 'big')))
)PY";

class JwsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::system("python3 -c 'import cryptography' 2>/dev/null") != 0)
            GTEST_SKIP() << "python3-cryptography missing";
        dir_ = fs::temp_directory_path() / ("drtm-jws-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "jws.py", std::string_view(kPython));
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    std::string python(const std::string& mode, const std::string& key, const std::string& input) {
        binary::write_file_atomic(dir_ / "in", std::string_view(input));
        auto r = run_command("python3 " + quote((dir_ / "jws.py").string()) + " " + mode + " " +
                             quote(key) + " < " + quote((dir_ / "in").string()));
        EXPECT_EQ(r.status, 0) << r.err;
        return r.out;
    }
    fs::path dir_;
};
}  // namespace

TEST(Base64Url, Rfc4648Vectors) {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (auto [plain, encoded] : vectors) {
        EXPECT_EQ(crypto::base64url_encode(binary::as_bytes(plain)), encoded);
        auto back = crypto::base64url_decode(encoded);
        EXPECT_EQ(std::string(back.begin(), back.end()), plain);
    }
    // The URL-safe alphabet: 0xfb 0xff -> "-_8" (standard base64 "+/8=").
    EXPECT_EQ(crypto::base64url_encode(binary::Bytes{0xfb, 0xff}), "-_8");
    EXPECT_THROW(crypto::base64url_decode("Zm9v="), std::runtime_error);  // padding
    EXPECT_THROW(crypto::base64url_decode("Zh"), std::runtime_error);     // non-canonical
    EXPECT_THROW(crypto::base64url_decode("Z"), std::runtime_error);      // impossible length
    EXPECT_THROW(crypto::base64url_decode("Zm+v"), std::runtime_error);   // not URL-safe
}

TEST_F(JwsTest, DrtmTokensVerifyInPython) {
    auto key = crypto::EcdsaP256Key::generate();
    binary::write_file_atomic(dir_ / "pub.pem", std::string_view(key.public_pem()));
    const std::string payload = R"({"ear_status":"affirming","iat":1764000000})";
    auto token = crypto::jws_sign_es256(payload, key, "verifier-1");
    EXPECT_EQ(python("verify", (dir_ / "pub.pem").string(), token), payload);
    EXPECT_EQ(crypto::jws_verify_es256(token, key), payload);
}

TEST_F(JwsTest, PythonTokensVerifyInDrtmAndTamperingIsRefused) {
    auto key = crypto::EcdsaP256Key::generate();
    key.save_private_pem(dir_ / "key.pem");
    const std::string payload = R"({"hello":"world"})";
    auto token = python("sign", (dir_ / "key.pem").string(), payload);
    while (!token.empty() && token.back() == '\n') token.pop_back();
    EXPECT_EQ(crypto::jws_verify_es256(token, key), payload);

    auto dot = token.find('.');
    auto forged = token;
    forged[dot + 3] = forged[dot + 3] == 'A' ? 'B' : 'A';  // payload changed
    EXPECT_THROW(crypto::jws_verify_es256(forged, key), std::runtime_error);
    // alg "none" with the same payload and no signature.
    auto none = crypto::base64url_encode(binary::as_bytes(R"({"alg":"none"})")) +
                token.substr(dot, token.rfind('.') - dot) + ".";
    EXPECT_THROW(crypto::jws_verify_es256(none, key), std::runtime_error);
    EXPECT_THROW(crypto::jws_verify_es256(token, crypto::EcdsaP256Key::generate()),
                 std::runtime_error);
    EXPECT_THROW(crypto::jws_verify_es256("a.b", key), std::runtime_error);
}
