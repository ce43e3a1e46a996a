// TPM hash algorithms (TPM_ALG_ID) and their properties.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace drtm::crypto {

enum class HashAlg : std::uint16_t {
    sha1 = 0x0004,
    sha256 = 0x000B,
    sha384 = 0x000C,
    sha512 = 0x000D,
    sm3_256 = 0x0012,
};

// The banks drtm knows, in TPM_ALG_ID order.
const std::vector<HashAlg>& known_algs();

std::optional<HashAlg> alg_from_id(std::uint16_t id);
// Accepts "sha1", "sha256", "sha384", "sha512", "sm3_256" (and "sm3").
std::optional<HashAlg> alg_from_name(std::string_view name);
std::string_view alg_name(HashAlg alg);
std::size_t digest_size(HashAlg alg);
inline std::uint16_t alg_id(HashAlg alg) {
    return static_cast<std::uint16_t>(alg);
}

}  // namespace drtm::crypto
