// Reference hashing for tests, straight on OpenSSL's EVP API and nothing of
// drtm's, so a golden value computed here is independent of drtm's crypto.
#pragma once

#include <openssl/evp.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ref {

using Bytes = std::vector<unsigned char>;

inline Bytes digest(const char* alg, const Bytes& data) {
    const EVP_MD* md = EVP_get_digestbyname(alg);
    if (!md) throw std::runtime_error(std::string("no digest ") + alg);
    Bytes out(EVP_MD_get_size(md));
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed");
    return out;
}

inline Bytes concat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// E(P, d) = H(P || d)
inline Bytes extend(const char* alg, const Bytes& pcr, const Bytes& measured_digest) {
    return digest(alg, concat(pcr, measured_digest));
}

inline Bytes zeros(std::size_t n) {
    return Bytes(n, 0);
}

inline std::string hex(const Bytes& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (unsigned char c : b) {
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}

inline Bytes le32(unsigned v) {
    return {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
            static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 24)};
}

inline unsigned read_le(const Bytes& b, std::size_t off, int width) {
    unsigned v = 0;
    for (int i = width - 1; i >= 0; --i) v = v << 8 | b.at(off + i);
    return v;
}

}  // namespace ref
