#include "crypto/x509.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

#include "crypto/random.hpp"

namespace drtm::crypto {

namespace {
template <typename T, void (*F)(T*)>
struct Free {
    void operator()(T* p) const { F(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("X.509: " + what);
}

Cert from_der(binary::ByteView der) {
    const unsigned char* p = der.data();
    Cert c(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!c || p != der.data() + der.size()) fail("not a DER certificate");
    return c;
}

binary::Bytes to_der(X509* c) {
    int len = i2d_X509(c, nullptr);
    if (len <= 0) fail("cannot encode a certificate");
    binary::Bytes out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_X509(c, &p);
    return out;
}

Pkey key_from_pem(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Pkey k(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!k) fail("CA key is not a PEM private key");
    return k;
}

Pkey key_from_spki(binary::ByteView spki) {
    const unsigned char* p = spki.data();
    Pkey k(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
    if (!k) fail("not a SubjectPublicKeyInfo");
    return k;
}

binary::Bytes spki_of(EVP_PKEY* k) {
    int len = i2d_PUBKEY(k, nullptr);
    if (len <= 0) fail("cannot encode a public key");
    binary::Bytes out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_PUBKEY(k, &p);
    return out;
}

Pkey from_params(const char* type, OSSL_PARAM_BLD* bld) {
    std::unique_ptr<OSSL_PARAM, Free<OSSL_PARAM, OSSL_PARAM_free>> params(
        OSSL_PARAM_BLD_to_param(bld));
    std::unique_ptr<EVP_PKEY_CTX, Free<EVP_PKEY_CTX, EVP_PKEY_CTX_free>> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        fail(std::string("cannot build an ") + type + " public key");
    return Pkey(raw);
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION, X509_EXTENSION_free>> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || !X509_add_ext(cert, ext.get(), -1)) fail(std::string("cannot add ") + value);
}

Cert new_certificate(std::uint64_t serial, const std::string& cn, EVP_PKEY* subject_key, long days,
                     const std::string& organization = "drtm emulated platform",
                     const std::string& unit = "") {
    Cert c(X509_new());
    X509_set_version(c.get(), 2);
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(c.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c.get()), days * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(c.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(organization.c_str()), -1, -1,
                               0);
    if (!unit.empty())
        X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(unit.c_str()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_pubkey(c.get(), subject_key);
    return c;
}

std::string private_key_pem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::uint64_t random_serial() {
    auto b = random_bytes(8);
    std::uint64_t v = 0;
    for (auto x : b) v = (v << 8) | x;
    return (v >> 1) | 1;  // positive and non-zero, as RFC 5280 asks
}
}  // namespace

CertificateAuthority make_certificate_authority(const std::string& common_name,
                                                const std::string& organization) {
    Pkey key(EVP_EC_gen("P-256"));
    if (!key) fail("cannot generate the CA key");
    auto cert = new_certificate(random_serial(), common_name, key.get(), 20 * 365, organization);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
    add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign the CA");
    return {private_key_pem(key.get()), to_der(cert.get())};
}

TlsIdentity issue_tls_identity(const CertificateAuthority& ca, const TlsCertificateRequest& r) {
    auto ca_key = key_from_pem(ca.key_pem);
    auto ca_cert = from_der(ca.certificate_der);
    Pkey key(EVP_EC_gen("P-256"));
    if (!key) fail("cannot generate a key");
    auto cert =
        new_certificate(random_serial(), r.common_name, key.get(), r.days, r.organization, r.unit);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
    add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage,
                  r.server ? "serverAuth" : "clientAuth");
    add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
    std::string san;
    for (const auto& d : r.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    for (const auto& ip : r.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
    if (!san.empty()) add_extension(cert.get(), ca_cert.get(), NID_subject_alt_name, san.c_str());
    if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) fail("cannot sign the certificate");
    return {der_to_pem(to_der(cert.get())), private_key_pem(key.get())};
}

binary::Bytes rsa_spki(binary::ByteView modulus) {
    std::unique_ptr<OSSL_PARAM_BLD, Free<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>> bld(
        OSSL_PARAM_BLD_new());
    std::unique_ptr<BIGNUM, Free<BIGNUM, BN_free>> n(
        BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
    std::unique_ptr<BIGNUM, Free<BIGNUM, BN_free>> e(BN_new());
    BN_set_word(e.get(), 65537);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
    auto key = from_params("RSA", bld.get());
    return spki_of(key.get());
}

binary::Bytes ec_p256_spki(binary::ByteView x, binary::ByteView y) {
    if (x.size() != 32 || y.size() != 32) fail("P-256 coordinates must be 32 bytes");
    binary::Bytes point{0x04};
    point.insert(point.end(), x.begin(), x.end());
    point.insert(point.end(), y.begin(), y.end());
    std::unique_ptr<OSSL_PARAM_BLD, Free<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>> bld(
        OSSL_PARAM_BLD_new());
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
    auto key = from_params("EC", bld.get());
    return spki_of(key.get());
}

binary::Bytes issue_ek_certificate(const CertificateAuthority& ca, binary::ByteView spki, bool rsa,
                                   std::uint64_t serial, const std::string& subject_cn) {
    auto ca_key = key_from_pem(ca.key_pem);
    auto ca_cert = from_der(ca.certificate_der);
    auto subject_key = key_from_spki(spki);
    auto cert = new_certificate(serial, subject_cn, subject_key.get(), 10 * 365);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
    add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), ca_cert.get(), NID_key_usage,
                  rsa ? "critical,keyEncipherment" : "critical,keyAgreement");
    add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage, "2.23.133.8.1");
    add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
    if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0)
        fail("cannot sign the EK certificate");
    return to_der(cert.get());
}

binary::Bytes certificate_spki(binary::ByteView certificate_der) {
    auto cert = from_der(certificate_der);
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key) fail("certificate has no usable public key");
    return spki_of(key);
}

std::string verify_certificate(binary::ByteView certificate_der,
                               const std::vector<binary::Bytes>& roots,
                               const std::vector<binary::Bytes>& intermediates) {
    Cert cert;
    try {
        cert = from_der(certificate_der);
    } catch (const std::exception& e) {
        return e.what();
    }
    std::unique_ptr<X509_STORE, Free<X509_STORE, X509_STORE_free>> store(X509_STORE_new());
    for (const auto& r : roots) X509_STORE_add_cert(store.get(), from_der(r).get());
    struct StackFree {
        void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
    };
    std::unique_ptr<STACK_OF(X509), StackFree> chain(sk_X509_new_null());
    std::vector<Cert> keep;
    for (const auto& i : intermediates) {
        keep.push_back(from_der(i));
        sk_X509_push(chain.get(), keep.back().get());
    }
    std::unique_ptr<X509_STORE_CTX, Free<X509_STORE_CTX, X509_STORE_CTX_free>> ctx(
        X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), chain.get()) != 1)
        return "cannot set up certificate verification";
    if (X509_verify_cert(ctx.get()) == 1) return {};
    return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

std::string der_to_pem(binary::ByteView certificate_der) {
    auto cert = from_der(certificate_der);
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert.get());
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::vector<binary::Bytes> pem_certificates(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::vector<binary::Bytes> out;
    while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        Cert owned(c);
        out.push_back(to_der(c));
    }
    if (out.empty()) fail("no PEM certificate found");
    return out;
}

}  // namespace drtm::crypto
