// Golden values: FIPS 180-2 examples ("abc") and the PCR-extend vector of
// reference/swtpm.md §4.2, which was computed with OpenSSL and measured on swtpm.
#include <gtest/gtest.h>

#include "crypto/digest.hpp"

using namespace drtm::crypto;
using drtm::binary::as_bytes;
using drtm::binary::from_hex;
using drtm::binary::to_hex;

TEST(Digest, Fips180Abc) {
    EXPECT_EQ(to_hex(hash(HashAlg::sha1, as_bytes("abc"))),
              "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(to_hex(hash(HashAlg::sha256, as_bytes("abc"))),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(to_hex(hash(HashAlg::sha384, as_bytes("abc"))).substr(0, 16), "cb00753f45a35e8b");
    EXPECT_EQ(to_hex(hash(HashAlg::sha512, as_bytes("abc"))).substr(0, 16), "ddaf35a193617aba");
}

TEST(Digest, Sm3Abc) {
    // GB/T 32905-2016 example 1.
    EXPECT_EQ(to_hex(hash(HashAlg::sm3_256, as_bytes("abc"))),
              "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

TEST(Digest, DrtmLaunchVector) {
    // PCR17 after a launch with data "hello drtm" = H(0^n || H(data)).
    auto d1 = hash(HashAlg::sha1, as_bytes("hello drtm"));
    EXPECT_EQ(to_hex(d1), "2d11b45d5f62882787d0df5b627b54dae91046d0");
    EXPECT_EQ(to_hex(extend(HashAlg::sha1, zero_digest(HashAlg::sha1), d1)),
              "3b2d1aca8126c7659fbe10b8cfce762245f60b9d");
    auto d256 = hash(HashAlg::sha256, as_bytes("hello drtm"));
    EXPECT_EQ(to_hex(extend(HashAlg::sha256, zero_digest(HashAlg::sha256), d256)),
              "c6fc47b6d8d317626545e876c1df10ce4dd7cec7e196e7ac210c895e0773b552");
}

TEST(Digest, IncrementalEqualsOneShotAndReuse) {
    Hasher h(HashAlg::sha256);
    h.update(as_bytes("a"));
    h.update(as_bytes("bc"));
    EXPECT_EQ(h.finish(), hash(HashAlg::sha256, as_bytes("abc")));
    h.update(as_bytes("abc"));  // finish() resets the context
    EXPECT_EQ(h.finish(), hash(HashAlg::sha256, as_bytes("abc")));
    MultiHasher m({HashAlg::sha1, HashAlg::sha256});
    m.update(as_bytes("abc"));
    auto both = m.finish();
    EXPECT_EQ(both[0], hash(HashAlg::sha1, as_bytes("abc")));
    EXPECT_EQ(both[1], hash(HashAlg::sha256, as_bytes("abc")));
}

TEST(HashAlg, NamesAndIds) {
    EXPECT_EQ(alg_from_id(0x000B), HashAlg::sha256);
    EXPECT_FALSE(alg_from_id(0x0099).has_value());
    EXPECT_EQ(alg_from_name("sm3"), HashAlg::sm3_256);
    EXPECT_EQ(digest_size(HashAlg::sha384), 48u);
    EXPECT_EQ(one_digest(HashAlg::sha1), from_hex("0100000000000000000000000000000000000000"));
}

TEST(Digest, LargeInputsHashedPerBankInParallelGiveTheSameDigests) {
    // Above the parallel threshold (4 MiB) each bank runs in its own thread.
    drtm::binary::Bytes big(5 << 20);
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<std::uint8_t>(i * 31 + (i >> 12));
    MultiHasher m({HashAlg::sha1, HashAlg::sha256, HashAlg::sha384});
    m.update(big);
    m.update(as_bytes("tail"));
    auto got = m.finish();
    for (auto [i, alg] : {std::pair{0, HashAlg::sha1}, std::pair{1, HashAlg::sha256},
                          std::pair{2, HashAlg::sha384}}) {
        Hasher h(alg);
        h.update(big);
        h.update(as_bytes("tail"));
        EXPECT_EQ(got[i], h.finish()) << alg_name(alg);
    }
}
