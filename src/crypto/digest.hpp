// Hashing through OpenSSL EVP for every TPM bank, plus the PCR extend rule.
#pragma once

#include <memory>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"

namespace drtm::crypto {

using binary::Bytes;
using binary::ByteView;

// Incremental hash. The EVP_MD is fetched once per algorithm and cached, and
// the context is reused across reset(), because replaying a large log is
// millions of tiny hashes and the fetch would otherwise dominate.
class Hasher {
  public:
    explicit Hasher(HashAlg alg);
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    HashAlg alg() const noexcept { return alg_; }
    void reset();
    void update(ByteView data);
    Bytes finish();                       // and reset
    void finish_into(std::uint8_t* out);  // digest_size(alg) bytes; and reset

  private:
    HashAlg alg_;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

Bytes hash(HashAlg alg, ByteView data);

// E(P, d) = H(P || d): the TPM's PCR extend.
Bytes extend(HashAlg alg, ByteView pcr, ByteView digest);

// One-pass multi-bank hashing of the same data (a DLME image is read once,
// not once per bank).
class MultiHasher {
  public:
    explicit MultiHasher(const std::vector<HashAlg>& algs);
    void update(ByteView data);
    std::vector<Bytes> finish();  // in the order of the constructor's algs

  private:
    std::vector<Hasher> hashers_;
};

// OneDigest: 01 00 .. 00, the value SINIT and Xen extend into banks they cannot hash.
Bytes one_digest(HashAlg alg);
Bytes zero_digest(HashAlg alg);
Bytes ff_digest(HashAlg alg);

}  // namespace drtm::crypto
