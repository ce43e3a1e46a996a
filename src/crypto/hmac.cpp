#include "crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <memory>
#include <mutex>
#include <stdexcept>

namespace drtm::crypto {
namespace {

// Fetched once per process: HMAC() fetches the MAC and the digest by name on
// every call, a cost the verifier paid twice per attestation (nonce minting
// and checking). EVP_MAC objects are immutable and safe to share.
EVP_MAC* hmac_algorithm() {
    static EVP_MAC* mac = nullptr;
    static std::once_flag once;
    std::call_once(once, [] { mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr); });
    if (!mac) throw std::runtime_error("HMAC is not available from OpenSSL");
    return mac;
}

}  // namespace

using MacCtx = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;

struct HmacSha256::Keyed {
    MacCtx ctx{nullptr, &EVP_MAC_CTX_free};
};

HmacSha256::HmacSha256(binary::ByteView key) : keyed_(std::make_unique<Keyed>()) {
    keyed_->ctx.reset(EVP_MAC_CTX_new(hmac_algorithm()));
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end()};
    if (!keyed_->ctx || EVP_MAC_init(keyed_->ctx.get(), key.data(), key.size(), params) != 1)
        throw std::runtime_error("HMAC-SHA-256: cannot set up the key");
}

HmacSha256::~HmacSha256() = default;

binary::Bytes HmacSha256::mac(binary::ByteView data) const {
    // The keyed context is only read here (copied), so threads may share it.
    MacCtx ctx(EVP_MAC_CTX_dup(keyed_->ctx.get()), &EVP_MAC_CTX_free);
    binary::Bytes out(32);
    size_t length = 0;
    if (!ctx || EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
        EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1 || length != out.size())
        throw std::runtime_error("HMAC-SHA-256 failed");
    return out;
}

binary::Bytes hmac_sha256(binary::ByteView key, binary::ByteView data) {
    return HmacSha256(key).mac(data);
}

}  // namespace drtm::crypto
