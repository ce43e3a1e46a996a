#include "crypto/digest.hpp"

#include <openssl/evp.h>

#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace drtm::crypto {

namespace {
const char* openssl_name(HashAlg alg) {
    switch (alg) {
        case HashAlg::sha1:
            return "SHA1";
        case HashAlg::sha256:
            return "SHA256";
        case HashAlg::sha384:
            return "SHA384";
        case HashAlg::sha512:
            return "SHA512";
        case HashAlg::sm3_256:
            return "SM3";
    }
    return "";
}

// Fetched once per process; EVP_MD objects from EVP_MD_fetch are thread-safe
// to share.
EVP_MD* fetch_md(HashAlg alg) {
    static EVP_MD* cache[5] = {};
    int slot = 0;
    switch (alg) {
        case HashAlg::sha1:
            slot = 0;
            break;
        case HashAlg::sha256:
            slot = 1;
            break;
        case HashAlg::sha384:
            slot = 2;
            break;
        case HashAlg::sha512:
            slot = 3;
            break;
        case HashAlg::sm3_256:
            slot = 4;
            break;
    }
    static std::once_flag once[5];
    std::call_once(once[slot],
                   [&] { cache[slot] = EVP_MD_fetch(nullptr, openssl_name(alg), nullptr); });
    if (!cache[slot])
        throw std::runtime_error(std::string("OpenSSL does not provide ") + openssl_name(alg));
    return cache[slot];
}
}  // namespace

struct Hasher::Impl {
    EVP_MD_CTX* ctx = nullptr;
    EVP_MD* md = nullptr;
    bool initialised = false;
    ~Impl() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(HashAlg alg) : alg_(alg), impl_(std::make_unique<Impl>()) {
    impl_->md = fetch_md(alg);
    impl_->ctx = EVP_MD_CTX_new();
    if (!impl_->ctx) throw std::bad_alloc();
    reset();
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::reset() {
    // Re-initialising with a null digest reuses the context's provider state;
    // passing the EVP_MD again costs 10-20 % of a replay of small extends.
    if (EVP_DigestInit_ex2(impl_->ctx, impl_->initialised ? nullptr : impl_->md, nullptr) != 1)
        throw std::runtime_error("EVP_DigestInit_ex2 failed");
    impl_->initialised = true;
}

void Hasher::update(ByteView data) {
    if (EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1)
        throw std::runtime_error("EVP_DigestUpdate failed");
}

void Hasher::finish_into(std::uint8_t* out) {
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(impl_->ctx, out, &len) != 1)
        throw std::runtime_error("EVP_DigestFinal_ex failed");
    reset();
}

Bytes Hasher::finish() {
    Bytes out(digest_size(alg_));
    finish_into(out.data());
    return out;
}

Bytes hash(HashAlg alg, ByteView data) {
    Bytes out(digest_size(alg));
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, fetch_md(alg), nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed");
    return out;
}

Bytes extend(HashAlg alg, ByteView pcr, ByteView digest) {
    Hasher h(alg);
    h.update(pcr);
    h.update(digest);
    return h.finish();
}

MultiHasher::MultiHasher(const std::vector<HashAlg>& algs) {
    hashers_.reserve(algs.size());
    for (HashAlg a : algs) hashers_.emplace_back(a);
}

void MultiHasher::update(ByteView data) {
    // A DLME region is tens of MiB: hash it in every bank at once, one thread
    // per bank, so predicting two banks costs about as much as one.
    constexpr std::size_t kParallelThreshold = 1u << 22;
    if (data.size() < kParallelThreshold || hashers_.size() < 2) {
        for (auto& h : hashers_) h.update(data);
        return;
    }
    std::vector<std::thread> workers;
    std::vector<std::exception_ptr> errors(hashers_.size());
    for (std::size_t i = 1; i < hashers_.size(); ++i)
        workers.emplace_back([&, i] {
            try {
                hashers_[i].update(data);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        });
    try {
        hashers_[0].update(data);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& w : workers) w.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

std::vector<Bytes> MultiHasher::finish() {
    std::vector<Bytes> out;
    out.reserve(hashers_.size());
    for (auto& h : hashers_) out.push_back(h.finish());
    return out;
}

Bytes one_digest(HashAlg alg) {
    Bytes d(digest_size(alg), 0);
    d[0] = 1;
    return d;
}
Bytes zero_digest(HashAlg alg) {
    return Bytes(digest_size(alg), 0);
}
Bytes ff_digest(HashAlg alg) {
    return Bytes(digest_size(alg), 0xFF);
}

}  // namespace drtm::crypto
