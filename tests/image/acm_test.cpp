// SINIT ACM header parsing, the SINIT hash, and the test SINIT generator
// (digests from golden_values.py).
#include <gtest/gtest.h>

#include <random>

#include "binary/error.hpp"
#include "crypto/digest.hpp"
#include "image/acm.hpp"
#include "image/errors.hpp"
#include "image/test_dce.hpp"

using namespace drtm::image;
using drtm::binary::Bytes;
using drtm::binary::ParseError;
using drtm::binary::to_hex;
using drtm::crypto::HashAlg;

namespace {

void put32(Bytes& b, std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

std::string error_of(const Bytes& b, bool require_sinit = true) {
    try {
        parse_acm(b, require_sinit);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(Acm, TestSinitVersion3) {
    Bytes sinit = make_test_sinit();
    EXPECT_EQ(to_hex(drtm::crypto::hash(HashAlg::sha256, sinit)),
              "7c29e6c46d3f82ebb008d3faa304feff69618340a5379c824b7c7322eb37861d");
    Acm acm = parse_acm(sinit);
    EXPECT_EQ(acm.header.module_type, 2);
    EXPECT_EQ(acm.header.module_subtype, 0);
    EXPECT_EQ(acm.header.header_len, 224u);
    EXPECT_EQ(acm.header.header_version, 0x00030000u);
    EXPECT_EQ(acm.header.module_vendor, 0x8086u);
    EXPECT_EQ(acm.header.date, 0x20250101u);
    EXPECT_EQ(acm.module_size, 0x2000u);
    EXPECT_EQ(acm.trailing_bytes, 0u);
    EXPECT_EQ(acm.header.entry_point, kTestSinitEntry);
    EXPECT_EQ(acm.header.key_size, 96u);
    EXPECT_EQ(acm.public_key_size, 384u);
    EXPECT_FALSE(acm.public_exponent.has_value());
    EXPECT_EQ(acm.signature_offset, 0x200u);
    EXPECT_EQ(acm.signature_size, 384u);
    EXPECT_EQ(acm.scratch_offset, 0x380u);
    EXPECT_EQ(acm.scratch_length, 208u * 4u);
    EXPECT_EQ(acm.user_area_offset, 0x6C0u);
    EXPECT_TRUE(acm.debug_signed());
    EXPECT_TRUE(acm.pre_production());
    EXPECT_TRUE(acm.is_sinit());
    EXPECT_EQ(acm.info_table.version, 5);
    EXPECT_EQ(acm.info_table.os_sinit_data_ver, 7u);
    EXPECT_EQ(acm.info_table.capabilities, 0x237u);
    EXPECT_EQ(acm.info_table.tpm_info_list, 0u);

    // Hashed: header[0:0x80] ‖ module[0x6c0:0x2000].
    Bytes signed_part = sinit_hashed_bytes(sinit, acm);
    EXPECT_EQ(signed_part.size(), 0x80u + 0x2000u - 0x6C0u);
    EXPECT_EQ(to_hex(sinit_hash(HashAlg::sha256, sinit, acm)),
              "31843b2b2cb4a9d86b53a9aa62dd3dfb627899d29d3a0d66469040d7a21c629b");
    EXPECT_EQ(to_hex(sinit_hash(HashAlg::sha1, sinit, acm)),
              "a5e28d4dfdaa860cf54e750e43dbb4f3a2e814b8");
}

TEST(Acm, SignatureAndScratchDoNotChangeTheSinitHash) {
    Bytes sinit = make_test_sinit();
    Acm acm = parse_acm(sinit);
    Bytes before = sinit_hash(HashAlg::sha256, sinit, acm);
    Bytes signed_copy = sinit;
    for (std::size_t i = 0x80; i < acm.user_area_offset; ++i) signed_copy[i] = 0xA5;
    EXPECT_EQ(sinit_hash(HashAlg::sha256, signed_copy, parse_acm(signed_copy)), before);
    Bytes code_change = sinit;
    code_change[kTestSinitEntry] = 0x90;
    EXPECT_NE(sinit_hash(HashAlg::sha256, code_change, parse_acm(code_change)), before);
}

TEST(Acm, TestSinitVersion0) {
    TestSinitOptions o;
    o.header_version = 0;
    Bytes sinit = make_test_sinit(o);
    Acm acm = parse_acm(sinit);
    EXPECT_EQ(acm.header.header_len, 161u);
    EXPECT_EQ(acm.public_key_size, 256u);
    ASSERT_TRUE(acm.public_exponent.has_value());
    EXPECT_EQ(acm.signature_offset, 0x184u);
    EXPECT_EQ(acm.signature_size, 256u);
    EXPECT_EQ(acm.user_area_offset, (161u + 143u) * 4u);
    EXPECT_TRUE(acm.is_sinit());
    EXPECT_THROW(make_test_sinit(TestSinitOptions{0x00040000}), BuildError);
}

TEST(Acm, HeaderValidation) {
    Bytes good = make_test_sinit();
    Bytes b = good;
    b[0] = 1;
    EXPECT_NE(error_of(b).find("module_type"), std::string::npos);
    b = good;
    put32(b, 0x10, 0x1022);
    EXPECT_NE(error_of(b).find("module_vendor"), std::string::npos);
    b = good;
    put32(b, 0x18, 0x801);  // size × 4 > file
    EXPECT_NE(error_of(b).find("larger than"), std::string::npos);
    b = good;
    put32(b, 0x18, 0x7FF);  // not a multiple of 64 bytes
    EXPECT_NE(error_of(b).find("multiple of 64"), std::string::npos);
    b = good;
    put32(b, 0x04, 161);  // wrong header_len for a 3.0 header
    EXPECT_NE(error_of(b).find("header_len"), std::string::npos);
    b = good;
    put32(b, 0x04, 0xFFFFFFFF);  // overflowing header length
    EXPECT_THROW(parse_acm(b), ParseError);
    b = good;
    put32(b, 0x7C, 0x40000000);  // scratch past the module
    EXPECT_NE(error_of(b).find("scratch"), std::string::npos);
    b = good;
    put32(b, 0x78, 64);  // key size of a 2048-bit header
    EXPECT_NE(error_of(b).find("key_size"), std::string::npos);
    b = good;
    put32(b, 0x34, 0x2000);
    EXPECT_NE(error_of(b).find("entry_point"), std::string::npos);
    b = good;
    b[0x6C0] ^= 1;  // info table UUID
    EXPECT_NE(error_of(b).find("information table"), std::string::npos);
    b = good;
    b[0x6C0 + 16] = 0;  // BIOS ACM
    EXPECT_NE(error_of(b).find("BIOS ACM"), std::string::npos);
    EXPECT_EQ(error_of(b, false), "no error");
    b = good;
    b[2] = 1;  // S-ACM subtype
    EXPECT_NE(error_of(b).find("module_subtype"), std::string::npos);
}

TEST(Acm, PaddedFileAndTruncation) {
    Bytes padded = make_test_sinit();
    padded.resize(0x3000, 0);
    Acm acm = parse_acm(padded);
    EXPECT_EQ(acm.trailing_bytes, 0x1000u);
    // The SINIT hash covers the module, not the file padding.
    Bytes exact = make_test_sinit();
    EXPECT_EQ(sinit_hash(HashAlg::sha256, padded, acm),
              sinit_hash(HashAlg::sha256, exact, parse_acm(exact)));

    for (std::size_t n = 0; n < exact.size(); n += (n < 0x800 ? 1 : 61))
        EXPECT_THROW(parse_acm(drtm::binary::ByteView(exact.data(), n)), ParseError) << n;
    std::mt19937 rng(99);
    for (int round = 0; round < 2000; ++round) {
        Bytes c = exact;
        for (int i = 0; i < 3; ++i) c[rng() % 0x800] = static_cast<std::uint8_t>(rng());
        try {
            parse_acm(c);
        } catch (const ParseError&) {
        }
    }
}
