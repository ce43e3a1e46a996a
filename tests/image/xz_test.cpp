// unxz against a stream made by Python's lzma module:
// lzma.compress(b"drtm xz test\n" * 100, format=FORMAT_XZ, check=CHECK_CRC32)
#include "image/xz.hpp"

#include <gtest/gtest.h>

#include "binary/error.hpp"

using namespace drtm;

namespace {
const binary::Bytes kStream = binary::from_hex(
    "fd377a585a0000016922de360200210116000000742fe5a3e00513001b5d00321c8adecfb978a6dca91557faf291"
    "40f52f612c009fdd08dd6f00000068529198000133940a0000006ac0800a3e300d8b020000000001595a");
std::string expected() {
    std::string s;
    for (int i = 0; i < 100; ++i) s += "drtm xz test\n";
    return s;
}
}  // namespace

TEST(Unxz, DecodesAStreamAndReportsWhatItConsumed) {
    auto in = kStream;
    in.insert(in.end(), {0x34, 0x12, 0, 0});  // what a bzImage payload appends
    auto r = image::unxz(in);
    EXPECT_EQ(std::string(r.output.begin(), r.output.end()), expected());
    EXPECT_EQ(r.consumed, kStream.size());
}

TEST(Unxz, TheCapIsEnforced) {
    EXPECT_THROW(image::unxz(kStream, 100), binary::ParseError);
    EXPECT_EQ(image::unxz(kStream, 1300).output.size(), 1300u);  // exactly the cap is fine
}

TEST(Unxz, CorruptAndTruncatedStreamsAreErrors) {
    auto corrupt = kStream;
    corrupt[40] ^= 0xFF;
    EXPECT_THROW(image::unxz(corrupt), binary::ParseError);
    EXPECT_THROW(image::unxz(binary::ByteView(kStream).first(50)), binary::ParseError);
    EXPECT_THROW(image::unxz(binary::Bytes{1, 2, 3, 4, 5, 6, 7}), binary::ParseError);
}
