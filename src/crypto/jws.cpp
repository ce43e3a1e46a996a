#include "crypto/jws.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "crypto/digest.hpp"

namespace drtm::crypto {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

std::string header_json(const std::string& kid) {
    // kid is ours (a key identifier we chose), but escape it anyway.
    std::string h = R"({"alg":"ES256","typ":"JWT")";
    if (!kid.empty()) {
        h += R"(,"kid":")";
        for (char c : kid) {
            if (c == '"' || c == '\\') h += '\\';
            h += c;
        }
        h += '"';
    }
    return h + "}";
}
}  // namespace

std::string base64url_encode(binary::ByteView data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
    }
    if (data.size() - i == 1) {
        std::uint32_t v = data[i] << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (data.size() - i == 2) {
        std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

binary::Bytes base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) throw std::runtime_error("base64url: impossible length");
    binary::Bytes out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        int v = decode_char(text[i]);
        if (v < 0)
            throw std::runtime_error("base64url: invalid character at offset " + std::to_string(i));
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    // Non-canonical encodings (set bits in the unused tail) are refused, so
    // each token has exactly one spelling.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        throw std::runtime_error("base64url: non-zero trailing bits");
    return out;
}

std::string jws_sign_es256(std::string_view payload_json, const EcdsaP256Key& key,
                           const std::string& kid) {
    std::string input = base64url_encode(binary::as_bytes(header_json(kid))) + "." +
                        base64url_encode(binary::as_bytes(payload_json));
    auto sig = key.sign_digest(hash(HashAlg::sha256, binary::as_bytes(input)));
    binary::Bytes raw = sig.r;
    raw.insert(raw.end(), sig.s.begin(), sig.s.end());
    return input + "." + base64url_encode(raw);
}

std::string jws_verify_es256(std::string_view token, const EcdsaP256Key& key) {
    auto first = token.find('.');
    auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        throw std::runtime_error("JWS: not three dot-separated parts");
    auto header = base64url_decode(token.substr(0, first));
    // Only ES256 is accepted: never let the token choose the algorithm
    // ("none", or HMAC keyed with a public key).
    auto h = nlohmann::json::parse(header.begin(), header.end(), nullptr, false);
    if (!h.is_object() || !h.contains("alg") || h["alg"] != "ES256")
        throw std::runtime_error("JWS: header is not an ES256 header");
    if (h.contains("crit")) throw std::runtime_error("JWS: critical header extensions");
    auto raw = base64url_decode(token.substr(second + 1));
    if (raw.size() != 64) throw std::runtime_error("JWS: ES256 signature is not 64 bytes");
    EcdsaSignature sig{binary::Bytes(raw.begin(), raw.begin() + 32),
                       binary::Bytes(raw.begin() + 32, raw.end())};
    auto digest = hash(HashAlg::sha256, binary::as_bytes(token.substr(0, second)));
    if (!key.verify_digest(digest, sig)) throw std::runtime_error("JWS: signature does not verify");
    auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
    return std::string(payload.begin(), payload.end());
}

}  // namespace drtm::crypto
