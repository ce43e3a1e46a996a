// gunzip against streams made by Python's gzip module (golden_values.py).
#include <gtest/gtest.h>

#include "binary/error.hpp"
#include "image/gzip.hpp"

using namespace drtm::image;
using drtm::binary::Bytes;
using drtm::binary::from_hex;
using drtm::binary::ParseError;

namespace {

// gzip.compress(b"drtm gzip test\n" * 100, compresslevel=9, mtime=0)
const Bytes kMember = from_hex(
    "1f8b08000000000002034b292ac95548afca2c5028492d2ee14a19e58e7247b9a3dc51eed0e7020054c2e7a9dc0500"
    "00");
// gzip.compress(b"first,", mtime=0) + gzip.compress(b"second", mtime=0)
const Bytes kTwoMembers = from_hex(
    "1f8b08000000000002034bcb2c2a2ed10100d7364715060000001f8b08000000000002032b4e4dcecf4b010069111f"
    "b6"
    "06000000");

std::string expected_text() {
    std::string s;
    for (int i = 0; i < 100; ++i) s += "drtm gzip test\n";
    return s;
}

}  // namespace

TEST(Gunzip, SingleMember) {
    Bytes out = gunzip(kMember);
    EXPECT_EQ(std::string(out.begin(), out.end()), expected_text());
    EXPECT_TRUE(looks_gzip(kMember));
}

TEST(Gunzip, ConcatenatedMembersAndZeroPadding) {
    Bytes in = kTwoMembers;
    in.insert(in.end(), 16, 0);
    Bytes out = gunzip(in);
    EXPECT_EQ(std::string(out.begin(), out.end()), "first,second");
}

TEST(Gunzip, NotGzip) {
    Bytes plain = {'h', 'e', 'l', 'l', 'o'};
    EXPECT_FALSE(looks_gzip(plain));
    EXPECT_THROW(gunzip(plain), ParseError);
    EXPECT_THROW(gunzip(Bytes{}), ParseError);
}

TEST(Gunzip, CorruptDataNamesAnOffset) {
    Bytes bad = kMember;
    bad[12] ^= 0xFF;  // inside the deflate stream
    try {
        gunzip(bad);
        FAIL() << "expected ParseError";
    } catch (const ParseError& e) {
        EXPECT_NE(std::string(e.what()).find("gzip"), std::string::npos) << e.what();
        EXPECT_LE(e.offset(), bad.size());
    }
    Bytes crc = kMember;
    crc[crc.size() - 6] ^= 1;  // CRC32 in the trailer
    EXPECT_THROW(gunzip(crc), ParseError);
}

TEST(Gunzip, TruncatedAtEveryLength) {
    for (std::size_t len = 0; len < kMember.size(); ++len) {
        drtm::binary::ByteView cut(kMember.data(), len);
        EXPECT_THROW(gunzip(cut), ParseError) << len;
    }
}

TEST(Gunzip, TrailingGarbage) {
    Bytes in = kMember;
    in.push_back('x');
    try {
        gunzip(in);
        FAIL();
    } catch (const ParseError& e) {
        EXPECT_EQ(e.offset(), kMember.size());
    }
}

TEST(Gunzip, OutputCap) {
    EXPECT_EQ(gunzip(kMember, 1500).size(), 1500u);  // exactly the output size
    try {
        gunzip(kMember, 1499);
        FAIL();
    } catch (const ParseError& e) {
        EXPECT_NE(std::string(e.what()).find("cap"), std::string::npos);
    }
    EXPECT_THROW(gunzip(kMember, 0), ParseError);
}
