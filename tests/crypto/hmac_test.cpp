// Golden value: RFC 4231 test case 2.
#include <gtest/gtest.h>

#include "crypto/hmac.hpp"

using drtm::binary::as_bytes;
using drtm::binary::to_hex;

TEST(Hmac, Rfc4231Case2) {
    EXPECT_EQ(to_hex(drtm::crypto::hmac_sha256(as_bytes("Jefe"),
                                               as_bytes("what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
