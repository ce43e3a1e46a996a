// SKL Secure Loader Block: both header layouts, GRUB's constraints, and the
// test SKL generator (digests from golden_values.py).
#include <gtest/gtest.h>

#include "binary/error.hpp"
#include "crypto/digest.hpp"
#include "image/errors.hpp"
#include "image/slb.hpp"
#include "image/test_dce.hpp"

using namespace drtm::image;
using drtm::binary::Bytes;
using drtm::binary::ParseError;
using drtm::binary::to_hex;
using drtm::crypto::HashAlg;

namespace {

void put16(Bytes& b, std::size_t off, std::uint16_t v) {
    b.at(off) = static_cast<std::uint8_t>(v);
    b.at(off + 1) = static_cast<std::uint8_t>(v >> 8);
}

std::string error_of(const Bytes& b, SlbLayout layout = SlbLayout::amd_header) {
    try {
        parse_slb(b, layout);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(Slb, TestSklMatchesIndependentModel) {
    Bytes skl = make_test_skl();
    EXPECT_EQ(to_hex(drtm::crypto::hash(HashAlg::sha256, skl)),
              "eab3e4fffb95773704fd6d9338b183432837da411d703905defea411701b61f4");
    Slb s = parse_slb(skl, SlbLayout::amd_header);
    EXPECT_EQ(s.entry, kTestSklEntry);
    EXPECT_EQ(s.measured_length, 0x1000);
    EXPECT_EQ(s.skl_info_offset, 0x50);
    EXPECT_EQ(s.bootloader_data_offset, 0x1000);
    EXPECT_EQ(s.skl_version, 0u);
    EXPECT_LE(skl.size(), 60u * 1024u);
    drtm::binary::ByteView measured = slb_measured_part(skl, s);
    EXPECT_EQ(measured.size(), 0x1000u);
    EXPECT_EQ(to_hex(drtm::crypto::hash(HashAlg::sha256, measured)),
              "2c4e05d541c997bd2e1f1ea369c120deb2fc618161c115879d291f6e79327e93");
    EXPECT_EQ(to_hex(drtm::crypto::hash(HashAlg::sha1, measured)),
              "9d3655629d0489462af0222ccc57bfb56dc9dbf7");
    // hlt; jmp $-1 at the entry point.
    EXPECT_EQ(skl[0x100], 0xF4);
    EXPECT_EQ(skl[0x101], 0xEB);
    EXPECT_EQ(skl[0x102], 0xFD);
}

TEST(Slb, CompactLayout) {
    TestSklOptions o;
    o.layout = SlbLayout::compact;
    o.measured_length = 0x800;
    o.bootloader_data_offset = 0x800;
    o.file_size = 0x1800;
    Bytes skl = make_test_skl(o);
    // Layout 1 by hand: u16 entry, length, skl_info, bootloader_data.
    EXPECT_EQ(skl[0] | skl[1] << 8, 0x100);
    EXPECT_EQ(skl[2] | skl[3] << 8, 0x800);
    EXPECT_EQ(skl[4] | skl[5] << 8, 0x10);
    EXPECT_EQ(skl[6] | skl[7] << 8, 0x800);
    Slb s = parse_slb(skl, SlbLayout::compact);
    EXPECT_EQ(s.skl_info_offset, 0x10);
    // Read with the wrong layout, the fields are garbage and fail validation.
    EXPECT_THROW(parse_slb(skl, SlbLayout::amd_header), ParseError);
}

TEST(Slb, GrubConstraints) {
    Bytes good = make_test_skl();
    Bytes b = good;
    b.resize(0xF001);  // > 64 KiB - 4 KiB
    EXPECT_NE(error_of(b).find("no room"), std::string::npos);
    b = good;
    put16(b, 2, 0x2001);  // measured length > file
    EXPECT_NE(error_of(b).find("larger than"), std::string::npos);
    b = good;
    put16(b, 0, 0x1000);  // entry == measured length
    EXPECT_NE(error_of(b).find("entry point"), std::string::npos);
    b = good;
    put16(b, 0x42, 0x1000 - 19);  // version would straddle the measured end
    EXPECT_NE(error_of(b).find("skl_info"), std::string::npos);
    b = good;
    put16(b, 0x44, 0xFFF);  // SLRT inside the measured part
    EXPECT_NE(error_of(b).find("measured"), std::string::npos);
    b = good;
    put16(b, 0x44, 0xF001);  // less than 4 KiB before 64 KiB
    EXPECT_NE(error_of(b).find("4 KiB"), std::string::npos);
    b = good;
    b[0x50] ^= 1;  // UUID
    EXPECT_NE(error_of(b).find("UUID"), std::string::npos);
    b = good;
    b[0x60] = 1;  // version 1
    try {
        parse_slb(b, SlbLayout::amd_header);
        FAIL();
    } catch (const ParseError& e) {
        EXPECT_EQ(e.offset(), 0x60u);
    }
    EXPECT_NO_THROW(parse_slb(b, SlbLayout::amd_header, 1));
}

TEST(Slb, TruncatedAtEveryLength) {
    Bytes skl = make_test_skl();
    for (std::size_t n = 0; n < 0x1000; ++n)
        EXPECT_THROW(parse_slb(drtm::binary::ByteView(skl.data(), n), SlbLayout::amd_header),
                     ParseError)
            << n;
    EXPECT_NO_THROW(parse_slb(drtm::binary::ByteView(skl.data(), 0x1000), SlbLayout::amd_header));
}

TEST(Slb, GeneratorRefusesWhatGrubWouldRefuse) {
    TestSklOptions o;
    o.file_size = 0x10000;
    EXPECT_THROW(make_test_skl(o), BuildError);
    o = {};
    o.bootloader_data_offset = 0x800;  // inside the measured part
    EXPECT_THROW(make_test_skl(o), BuildError);
    o = {};
    o.measured_length = 0x80;  // does not reach the stub
    EXPECT_THROW(make_test_skl(o), BuildError);
}
