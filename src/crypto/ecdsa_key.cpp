#include "crypto/ecdsa_key.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cstring>
#include <stdexcept>

#include "binary/file_io.hpp"

namespace drtm::crypto {

namespace {
constexpr std::size_t kCoord = 32;

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what);
}

void require_p256(EVP_PKEY* key, const std::string& source) {
    char group[64] = {};
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        nullptr) ||
        std::strcmp(group, "prime256v1") != 0)
        fail(source + ": not an ECDSA P-256 key");
}

Bytes bn_to_32(const BIGNUM* bn) {
    Bytes out(kCoord);
    if (BN_bn2binpad(bn, out.data(), static_cast<int>(kCoord)) != static_cast<int>(kCoord))
        fail("ECDSA value larger than 32 bytes");
    return out;
}
}  // namespace

struct EcdsaP256Key::Impl {
    PkeyPtr key;
};

EcdsaP256Key::EcdsaP256Key(std::unique_ptr<Impl> impl, bool has_private)
    : impl_(std::move(impl)), has_private_(has_private) {}
EcdsaP256Key::~EcdsaP256Key() = default;
EcdsaP256Key::EcdsaP256Key(EcdsaP256Key&&) noexcept = default;
EcdsaP256Key& EcdsaP256Key::operator=(EcdsaP256Key&&) noexcept = default;

EcdsaP256Key EcdsaP256Key::generate() {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) fail("cannot generate an ECDSA P-256 key");
    auto impl = std::make_unique<Impl>();
    impl->key = std::move(key);
    return EcdsaP256Key(std::move(impl), true);
}

EcdsaP256Key EcdsaP256Key::load_private_pem(const std::filesystem::path& path) {
    auto pem = binary::read_file(path);
    std::string_view text(reinterpret_cast<const char*>(pem.data()), pem.size());
    try {
        auto key = from_private_pem(text, path.string());
        std::fill(pem.begin(), pem.end(), 0);
        return key;
    } catch (...) {
        std::fill(pem.begin(), pem.end(), 0);
        throw;
    }
}

EcdsaP256Key EcdsaP256Key::from_private_pem(std::string_view pem, const std::string& what) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) fail(what + ": not a PEM private key");
    require_p256(key.get(), what);
    auto impl = std::make_unique<Impl>();
    impl->key = std::move(key);
    return EcdsaP256Key(std::move(impl), true);
}

EcdsaP256Key EcdsaP256Key::load_public_pem(const std::filesystem::path& path) {
    auto pem = binary::read_file(path);
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) fail(path.string() + ": not a PEM public key");
    require_p256(key.get(), path.string());
    auto impl = std::make_unique<Impl>();
    impl->key = std::move(key);
    return EcdsaP256Key(std::move(impl), false);
}

EcdsaP256Key EcdsaP256Key::from_public_point(const EccPoint& point) {
    if (point.x.size() != kCoord || point.y.size() != kCoord)
        fail("P-256 point coordinates must be 32 bytes each");
    Bytes encoded{0x04};  // uncompressed SEC1 point
    encoded.insert(encoded.end(), point.x.begin(), point.x.end());
    encoded.insert(encoded.end(), point.y.begin(), point.y.end());
    std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>> bld(
        OSSL_PARAM_BLD_new());
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded.data(),
                                     encoded.size());
    std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>> params(
        OSSL_PARAM_BLD_to_param(bld.get()));
    CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        fail("not a point on P-256");
    PkeyPtr key(raw);
    // fromdata does not check that the point lies on the curve. The quick
    // check (on the curve, not the point at infinity) is complete for P-256:
    // its cofactor is 1, so every such point has the group's prime order, and
    // the full check's extra scalar multiplication proves nothing more.
    CtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) fail("not a point on P-256");
    auto impl = std::make_unique<Impl>();
    impl->key = std::move(key);
    return EcdsaP256Key(std::move(impl), false);
}

EccPoint EcdsaP256Key::public_point() const {
    std::uint8_t buf[1 + 2 * kCoord];
    std::size_t len = 0;
    if (!EVP_PKEY_get_octet_string_param(impl_->key.get(), OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf,
                                         &len) ||
        len != sizeof buf || buf[0] != 0x04)
        fail("cannot export the P-256 public point");
    return {Bytes(buf + 1, buf + 1 + kCoord), Bytes(buf + 1 + kCoord, buf + sizeof buf)};
}

std::string EcdsaP256Key::public_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PUBKEY(bio.get(), impl_->key.get())) fail("cannot write a public PEM");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string EcdsaP256Key::private_pem() const {
    if (!has_private_) fail("no private key to export");
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio) bio.reset(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr,
                                  nullptr))
        fail("cannot encode the private key");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

void EcdsaP256Key::save_private_pem(const std::filesystem::path& path) const {
    auto pem = private_pem();
    binary::write_file_atomic(path, std::string_view(pem), 0600);
    std::fill(pem.begin(), pem.end(), '\0');
}

EcdsaSignature EcdsaP256Key::sign_digest(ByteView digest) const {
    if (!has_private_) fail("this key has no private part: cannot sign");
    CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
    std::size_t len = 0;
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) <= 0)
        fail("ECDSA signing failed");
    Bytes der(len);
    if (EVP_PKEY_sign(ctx.get(), der.data(), &len, digest.data(), digest.size()) <= 0)
        fail("ECDSA signing failed");
    der.resize(len);
    return ecdsa_signature_from_der(der);
}

bool EcdsaP256Key::verify_digest(ByteView digest, const EcdsaSignature& sig) const {
    Bytes der;
    try {
        der = ecdsa_signature_to_der(sig);
    } catch (const std::runtime_error&) {
        return false;
    }
    CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) <= 0) fail("cannot set up ECDSA verification");
    return EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
}

Bytes ecdsa_signature_to_der(const EcdsaSignature& sig) {
    if (sig.r.size() != kCoord || sig.s.size() != kCoord)
        fail("ECDSA r and s must be 32 bytes each");
    SigPtr s(ECDSA_SIG_new());
    BnPtr r_bn(BN_bin2bn(sig.r.data(), static_cast<int>(kCoord), nullptr));
    BnPtr s_bn(BN_bin2bn(sig.s.data(), static_cast<int>(kCoord), nullptr));
    if (!s || !r_bn || !s_bn || !ECDSA_SIG_set0(s.get(), r_bn.get(), s_bn.get()))
        fail("cannot build an ECDSA signature");
    r_bn.release();  // owned by the ECDSA_SIG now
    s_bn.release();
    int len = i2d_ECDSA_SIG(s.get(), nullptr);
    if (len <= 0) fail("cannot encode an ECDSA signature");
    Bytes der(static_cast<std::size_t>(len));
    std::uint8_t* p = der.data();
    i2d_ECDSA_SIG(s.get(), &p);
    return der;
}

EcdsaSignature ecdsa_signature_from_der(ByteView der) {
    const std::uint8_t* p = der.data();
    SigPtr s(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!s || p != der.data() + der.size()) fail("not a DER ECDSA signature");
    const BIGNUM* r = nullptr;
    const BIGNUM* sv = nullptr;
    ECDSA_SIG_get0(s.get(), &r, &sv);
    return {bn_to_32(r), bn_to_32(sv)};
}

}  // namespace drtm::crypto
