// Golden value: RFC 4231 test case 2.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "crypto/hmac.hpp"

using drtm::binary::as_bytes;
using drtm::binary::to_hex;

TEST(Hmac, Rfc4231Case2) {
    EXPECT_EQ(to_hex(drtm::crypto::hmac_sha256(as_bytes("Jefe"),
                                               as_bytes("what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// One keyed HmacSha256 serves many MACs, each from a copy of the keyed state:
// RFC 4231 cases 1 and 6 (a key longer than the block, hashed first),
// repeated and interleaved, and from several threads at once.
TEST(Hmac, AKeyedMacGivesTheRfc4231ValuesEveryTimeAndFromManyThreads) {
    const drtm::binary::Bytes key1(20, 0x0b);
    const drtm::binary::Bytes key6(131, 0xaa);
    const std::string case1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    const std::string case6 = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
    const drtm::crypto::HmacSha256 mac1(key1), mac6(key6);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(to_hex(mac1.mac(as_bytes("Hi There"))), case1);
        EXPECT_EQ(
            to_hex(mac6.mac(as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            case6);
    }
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i)
                if (to_hex(mac1.mac(as_bytes("Hi There"))) != case1) ++wrong;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
}
