#include "crypto/hash_alg.hpp"

namespace drtm::crypto {

const std::vector<HashAlg>& known_algs() {
    static const std::vector<HashAlg> algs = {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384,
                                              HashAlg::sha512, HashAlg::sm3_256};
    return algs;
}

std::optional<HashAlg> alg_from_id(std::uint16_t id) {
    for (HashAlg a : known_algs())
        if (alg_id(a) == id) return a;
    return std::nullopt;
}

std::optional<HashAlg> alg_from_name(std::string_view name) {
    if (name == "sm3") return HashAlg::sm3_256;
    for (HashAlg a : known_algs())
        if (alg_name(a) == name) return a;
    return std::nullopt;
}

std::string_view alg_name(HashAlg alg) {
    switch (alg) {
        case HashAlg::sha1:
            return "sha1";
        case HashAlg::sha256:
            return "sha256";
        case HashAlg::sha384:
            return "sha384";
        case HashAlg::sha512:
            return "sha512";
        case HashAlg::sm3_256:
            return "sm3_256";
    }
    return "unknown";
}

std::size_t digest_size(HashAlg alg) {
    switch (alg) {
        case HashAlg::sha1:
            return 20;
        case HashAlg::sha256:
            return 32;
        case HashAlg::sha384:
            return 48;
        case HashAlg::sha512:
            return 64;
        case HashAlg::sm3_256:
            return 32;
    }
    return 0;
}

}  // namespace drtm::crypto
