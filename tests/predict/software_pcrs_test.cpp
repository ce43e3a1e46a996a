// The software PCR model the predictor runs on, against the same vectors the
// real TPM is tested with (reference/swtpm.md §4.2 and §5.1).
#include <gtest/gtest.h>

#include "binary/bytes.hpp"
#include "launch/pcr_target.hpp"

using namespace drtm;
using crypto::HashAlg;

TEST(SoftwarePcrs, DynamicLaunchVector) {
    launch::SoftwarePcrs p({HashAlg::sha1, HashAlg::sha256});
    EXPECT_TRUE(binary::all_equal(p.values().at(HashAlg::sha256).at(17), 0xFF)) << "after Startup";
    p.dynamic_launch(binary::as_bytes("hello drtm"));
    EXPECT_EQ(binary::to_hex(p.values().at(HashAlg::sha1).at(17)),
              "3b2d1aca8126c7659fbe10b8cfce762245f60b9d");
    EXPECT_EQ(binary::to_hex(p.values().at(HashAlg::sha256).at(17)),
              "c6fc47b6d8d317626545e876c1df10ce4dd7cec7e196e7ac210c895e0773b552");
    for (std::uint32_t pcr = 18; pcr <= 22; ++pcr)
        EXPECT_TRUE(binary::all_equal(p.values().at(HashAlg::sha1).at(pcr), 0));
}

TEST(SoftwarePcrs, LocalityMatrixMatchesTheTpm) {
    const bool ok[5][8] = {
        {true, false, false, false, false, false, false, true},
        {true, false, false, false, true, false, false, true},
        {true, true, true, true, true, true, true, true},
        {true, true, true, true, true, false, false, true},
        {true, true, true, false, false, false, false, true},
    };
    launch::SoftwarePcrs p({HashAlg::sha256});
    for (std::uint8_t loc = 0; loc <= 4; ++loc)
        for (std::uint32_t pcr = 16; pcr <= 23; ++pcr) {
            bool succeeded = true;
            try {
                p.extend(loc, pcr, {{HashAlg::sha256, binary::Bytes(32, 0x11)}});
            } catch (const std::runtime_error&) {
                succeeded = false;
            }
            EXPECT_EQ(succeeded, ok[loc][pcr - 16]) << "locality " << int(loc) << " PCR " << pcr;
        }
}
