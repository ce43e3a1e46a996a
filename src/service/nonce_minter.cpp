#include "service/nonce_minter.hpp"

#include <openssl/crypto.h>

#include <stdexcept>

#include "crypto/hmac.hpp"
#include "crypto/random.hpp"

namespace drtm::service {

namespace {
constexpr std::size_t kHeadSize = 16;  // expiry + random
constexpr std::size_t kTagSize = 16;
constexpr char kLabel[] = "drtm-nonce-v1";
}  // namespace

namespace {
const binary::Bytes& long_enough(const binary::Bytes& key) {
    if (key.size() < 32) throw std::invalid_argument("the nonce key must be at least 32 bytes");
    return key;
}
}  // namespace

// This copy of the key is wiped once the MAC is keyed (OpenSSL keeps its
// own), or when keying fails, by a cleanse the compiler cannot drop.
NonceMinter::NonceMinter(binary::Bytes key) try : mac_(long_enough(key)) {
    OPENSSL_cleanse(key.data(), key.size());
} catch (...) {
    OPENSSL_cleanse(key.data(), key.size());
    throw;
}

binary::Bytes NonceMinter::tag(const std::string& node, binary::ByteView head) const {
    binary::Bytes message(kLabel, kLabel + sizeof kLabel);  // with its terminating 0
    message.insert(message.end(), node.begin(), node.end());
    message.push_back(0);
    message.insert(message.end(), head.begin(), head.end());
    auto mac = mac_.mac(message);
    mac.resize(kTagSize);
    return mac;
}

binary::Bytes NonceMinter::mint(const std::string& node, std::int64_t expires_at) const {
    binary::Bytes nonce;
    for (int shift = 56; shift >= 0; shift -= 8)
        nonce.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(expires_at) >> shift));
    auto random = crypto::random_bytes(kHeadSize - 8);
    nonce.insert(nonce.end(), random.begin(), random.end());
    auto t = tag(node, nonce);
    nonce.insert(nonce.end(), t.begin(), t.end());
    return nonce;
}

std::int64_t NonceMinter::expires_at(binary::ByteView nonce) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8 && i < nonce.size(); ++i) v = (v << 8) | nonce[i];
    return static_cast<std::int64_t>(v);
}

NonceCheck NonceMinter::check(const std::string& node, binary::ByteView nonce,
                              std::int64_t now) const {
    if (nonce.size() != kHeadSize + kTagSize) return NonceCheck::not_ours;
    auto expected = tag(node, nonce.subspan(0, kHeadSize));
    if (CRYPTO_memcmp(expected.data(), nonce.data() + kHeadSize, kTagSize) != 0)
        return NonceCheck::not_ours;
    return expires_at(nonce) < now ? NonceCheck::expired : NonceCheck::valid;
}

}  // namespace drtm::service
