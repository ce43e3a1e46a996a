// ECDSA P-256 keys in software (OpenSSL): the owner key that signs sealing
// authorisations (TPM2_PolicyAuthorize), and the verification of signatures
// made by TPM keys. Signatures are over a digest the caller computed, because
// the TPM signs and verifies digests, not messages.
#pragma once

#include <filesystem>
#include <memory>

#include "binary/bytes.hpp"

namespace drtm::crypto {

using binary::Bytes;
using binary::ByteView;

// An affine point on P-256, each coordinate 32 bytes big-endian (the TPM's
// TPMS_ECC_POINT without the size prefixes).
struct EccPoint {
    Bytes x;
    Bytes y;
};

// (r, s), each 32 bytes big-endian: TPMS_SIGNATURE_ECDSA's two parameters.
struct EcdsaSignature {
    Bytes r;
    Bytes s;
};

class EcdsaP256Key {
  public:
    static EcdsaP256Key generate();
    // A PEM private key (PKCS#8 or SEC1, as `openssl genpkey`/`ecparam`
    // write them). Throws naming the file when it is not a P-256 key.
    static EcdsaP256Key load_private_pem(const std::filesystem::path& path);
    // The same from PEM text; `what` names its origin in errors.
    static EcdsaP256Key from_private_pem(std::string_view pem, const std::string& what);
    // A PEM public key (SubjectPublicKeyInfo): can only verify.
    static EcdsaP256Key load_public_pem(const std::filesystem::path& path);
    static EcdsaP256Key from_public_point(const EccPoint& point);

    ~EcdsaP256Key();
    EcdsaP256Key(EcdsaP256Key&&) noexcept;
    EcdsaP256Key& operator=(EcdsaP256Key&&) noexcept;

    bool has_private() const noexcept { return has_private_; }
    EccPoint public_point() const;
    std::string public_pem() const;
    // PKCS#8 PEM of the private key, written atomically with mode 0600.
    void save_private_pem(const std::filesystem::path& path) const;
    std::string private_pem() const;  // PKCS#8 PEM; keep it out of logs

    EcdsaSignature sign_digest(ByteView digest) const;
    bool verify_digest(ByteView digest, const EcdsaSignature& sig) const;

  private:
    struct Impl;
    explicit EcdsaP256Key(std::unique_ptr<Impl> impl, bool has_private);
    std::unique_ptr<Impl> impl_;
    bool has_private_ = false;
};

// DER (X9.62 Ecdsa-Sig-Value, what `openssl dgst -sign` writes) to and from
// (r, s). Throws std::runtime_error on malformed DER.
Bytes ecdsa_signature_to_der(const EcdsaSignature& sig);
EcdsaSignature ecdsa_signature_from_der(ByteView der);

}  // namespace drtm::crypto
