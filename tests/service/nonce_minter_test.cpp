// The nonce layout of nonce_minter.hpp. The golden nonce was built by hand
// with Python's hmac module: key 0x0b×32, node "n1", expiry 2000000000,
// random part 01..08.
#include "service/nonce_minter.hpp"

#include <gtest/gtest.h>

using namespace drtm;
using service::NonceCheck;
using service::NonceMinter;

namespace {
const binary::Bytes kKey(32, 0x0b);
const auto kGolden =
    binary::from_hex("00000000773594000102030405060708c66a0b0231ea743f853f381e8a14cdcf");
}  // namespace

TEST(NonceMinter, AcceptsTheIndependentlyComputedNonceUntilItExpires) {
    NonceMinter m(kKey);
    EXPECT_EQ(m.check("n1", kGolden, 1999999999), NonceCheck::valid);
    EXPECT_EQ(m.check("n1", kGolden, 2000000000), NonceCheck::valid);
    EXPECT_EQ(m.check("n1", kGolden, 2000000001), NonceCheck::expired);
    EXPECT_EQ(NonceMinter::expires_at(kGolden), 2000000000);
}

TEST(NonceMinter, IsBoundToTheNodeAndTheKey) {
    EXPECT_EQ(NonceMinter(kKey).check("n2", kGolden, 0), NonceCheck::not_ours);
    EXPECT_EQ(NonceMinter(binary::Bytes(32, 0x0c)).check("n1", kGolden, 0), NonceCheck::not_ours);
}

TEST(NonceMinter, AnyAlteredByteOrLengthIsNotOurs) {
    NonceMinter m(kKey);
    for (std::size_t i = 0; i < kGolden.size(); ++i) {
        auto altered = kGolden;
        altered[i] ^= 0x01;
        EXPECT_EQ(m.check("n1", altered, 0), NonceCheck::not_ours) << "byte " << i;
    }
    auto longer = kGolden;
    longer.push_back(0);
    EXPECT_EQ(m.check("n1", longer, 0), NonceCheck::not_ours);
    EXPECT_EQ(m.check("n1", binary::Bytes{}, 0), NonceCheck::not_ours);
}

TEST(NonceMinter, MintsFreshNoncesInTheSameLayout) {
    NonceMinter m(kKey);
    auto a = m.mint("n1", 2000000000);
    auto b = m.mint("n1", 2000000000);
    ASSERT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);  // the random part differs
    EXPECT_EQ(binary::Bytes(a.begin(), a.begin() + 8),
              binary::Bytes(kGolden.begin(), kGolden.begin() + 8));
    EXPECT_EQ(m.check("n1", a, 1), NonceCheck::valid);
}

TEST(NonceMinter, RefusesAShortKey) {
    EXPECT_THROW(NonceMinter(binary::Bytes(16, 1)), std::invalid_argument);
}
