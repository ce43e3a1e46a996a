// bzImage parsing: synthetic kernels (golden_values.py), malformed headers,
// and Debian's real kernel when the lead's download is present.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "crypto/digest.hpp"
#include "image/bzimage.hpp"
#include "synthetic_bzimage.hpp"

using namespace drtm::image;
using drtm::binary::ParseError;
using drtm::binary::to_hex;
using drtm::crypto::HashAlg;
using image_test::make_synthetic_bzimage;
using image_test::put_le;
using image_test::SyntheticKernel;

namespace {

std::string error_of(drtm::binary::ByteView b) {
    try {
        parse_bzimage(b);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "no error";
}

std::size_t error_offset(drtm::binary::ByteView b) {
    try {
        parse_bzimage(b);
    } catch (const ParseError& e) {
        return e.offset();
    }
    return SIZE_MAX;
}

}  // namespace

TEST(BzImage, SyntheticKernelWithMleHeader) {
    Bytes file = make_synthetic_bzimage();
    // Independent check that the helper builds golden_values.py's kernel.
    ASSERT_EQ(to_hex(drtm::crypto::hash(HashAlg::sha256, file)),
              "eae7fd7d52574fb6d339126d0baa2741113c58109056e4777e2ba3db5c6d2df7");
    BzImage img = parse_bzimage(file);
    EXPECT_EQ(img.header.version, 0x020F);
    EXPECT_EQ(img.setup_sects, 1u);
    EXPECT_EQ(img.header_end, 0x26Cu);
    EXPECT_EQ(img.payload_offset, 1024u);
    EXPECT_EQ(img.payload_size, 0x1000u);
    EXPECT_EQ(img.header.syssize, 0x100u);
    EXPECT_EQ(img.header.cmdline_size, 2047u);
    EXPECT_EQ(img.header.kernel_alignment, 0x200000u);
    EXPECT_EQ(img.header.init_size, 0x3000u);
    EXPECT_EQ(img.header.pref_address, 0x1000000u);
    EXPECT_EQ(img.header.xloadflags, 0x000F);
    EXPECT_EQ(img.header.kernel_info_offset, 0x40u);
    EXPECT_EQ(img.kernel_version, "6.1.0-synthetic (drtm@test) #1");
    ASSERT_TRUE(img.kernel_info.has_value());
    EXPECT_EQ(img.kernel_info->file_offset, 1024u + 0x40u);
    EXPECT_EQ(img.kernel_info->setup_type_max, 0x0Bu);
    EXPECT_EQ(img.kernel_info->mle_header_offset, 0x80u);
    ASSERT_TRUE(img.secure_launch_capable());
    EXPECT_EQ(img.mle_header->offset, 0x80u);
    EXPECT_EQ(img.mle_header->version, 0x00020002u);
    EXPECT_EQ(img.mle_header->mle_end, 0x1000u);
    EXPECT_EQ(img.mle_header->capabilities, 0x227u);
    EXPECT_EQ(img.dlme_entry(), 0x180u);
    // The payload GRUB loads at dlme_base.
    EXPECT_EQ(to_hex(drtm::crypto::hash(HashAlg::sha256, bzimage_payload(file, img))),
              "3dcf1694fd88e647d142aefaf4e0ec5f24d48d9505907b0bc392f3355f275ebb");
}

TEST(BzImage, KernelInfoWithoutMleHeaderMeansEntryZero) {
    SyntheticKernel k;
    k.mle = false;  // kernel_info.size = 0x10, as in Debian's stock kernel
    BzImage img = parse_bzimage(make_synthetic_bzimage(k));
    ASSERT_TRUE(img.kernel_info.has_value());
    EXPECT_FALSE(img.kernel_info->mle_header_offset.has_value());
    EXPECT_FALSE(img.secure_launch_capable());
    EXPECT_EQ(img.dlme_entry(), 0u);
}

TEST(BzImage, ZeroSetupSectsMeansFour) {
    SyntheticKernel k;
    k.setup_sects = 0;
    Bytes file = make_synthetic_bzimage(k);
    BzImage img = parse_bzimage(file);
    EXPECT_EQ(img.header.setup_sects, 0);
    EXPECT_EQ(img.setup_sects, 4u);
    EXPECT_EQ(img.payload_offset, 5u * 512u);
    EXPECT_EQ(bzimage_payload(file, img).size(), 0x1000u);
    EXPECT_EQ(img.dlme_entry(), 0x180u);
}

TEST(BzImage, OldProtocolHasNoKernelInfo) {
    SyntheticKernel k;
    k.version = 0x020C;  // before kernel_info (2.15)
    BzImage img = parse_bzimage(make_synthetic_bzimage(k));
    EXPECT_FALSE(img.kernel_info.has_value());
    EXPECT_EQ(img.dlme_entry(), 0u);
}

TEST(BzImage, ShortHeaderReadsLaterFieldsAsZero) {
    Bytes file = make_synthetic_bzimage();
    file[0x201] = 0x36;  // header ends at 0x238: no cmdline_size and beyond
    BzImage img = parse_bzimage(file);
    EXPECT_EQ(img.header_end, 0x238u);
    EXPECT_EQ(img.header.cmdline_size, 0u);
    EXPECT_EQ(img.header.kernel_info_offset, 0u);
    EXPECT_EQ(img.header.xloadflags, 0x000F);
    EXPECT_FALSE(img.kernel_info.has_value());
}

TEST(BzImage, MalformedHeaders) {
    Bytes good = make_synthetic_bzimage();
    Bytes b = good;
    b[0x1FE] = 0;
    EXPECT_EQ(error_offset(b), 0x1FEu);
    b = good;
    b[0x202] = 'X';
    EXPECT_NE(error_of(b).find("HdrS"), std::string::npos);
    EXPECT_EQ(error_offset(b), 0x202u);
    b = good;
    put_le(b, 0x206, 0x0202, 2);
    EXPECT_NE(error_of(b).find("too old"), std::string::npos);
    b = good;
    b[0x211] = 0;
    EXPECT_NE(error_of(b).find("LOADED_HIGH"), std::string::npos);
    b = good;
    b[0x1F1] = 65;
    EXPECT_NE(error_of(b).find("exceeds 64"), std::string::npos);
    b = good;
    b[0x201] = 0x90;  // header end 0x292 > 0x290
    EXPECT_NE(error_of(b).find("too big"), std::string::npos);
    b = good;
    b[0x1F1] = 60;  // setup larger than the file
    EXPECT_NE(error_of(b).find("past the file end"), std::string::npos);
}

TEST(BzImage, MalformedKernelInfoAndMleHeader) {
    Bytes good = make_synthetic_bzimage();
    const std::size_t ki = 1024 + 0x40, mle = 1024 + 0x80;
    Bytes b = good;
    b[ki] = 'X';
    EXPECT_NE(error_of(b).find("LToP"), std::string::npos);
    EXPECT_EQ(error_offset(b), ki);
    b = good;
    put_le(b, 0x268, 0xFFFFFFF0, 4);
    EXPECT_NE(error_of(b).find("kernel_info_offset"), std::string::npos);
    b = good;
    put_le(b, ki + 16, 0x10000, 4);  // mle_header_offset past the payload
    EXPECT_NE(error_of(b).find("mle_header_offset"), std::string::npos);
    b = good;
    put_le(b, ki + 16, 0xC0, 4);  // points at payload bytes, not a header
    EXPECT_NE(error_of(b).find("UUID"), std::string::npos);
    EXPECT_EQ(error_offset(b), 1024u + 0xC0u);
    b = good;
    put_le(b, mle + 0x18, 0x1000, 4);  // entry == mle_end
    EXPECT_NE(error_of(b).find("entry_point"), std::string::npos);
    EXPECT_EQ(error_offset(b), mle + 0x18);
    b = good;
    put_le(b, ki + 4, 0x12, 4);  // size cuts mle_header_offset in half
    EXPECT_NE(error_of(b).find("in half"), std::string::npos);
}

TEST(BzImage, TruncatedAtEveryLengthIsAParseError) {
    Bytes good = make_synthetic_bzimage();
    for (std::size_t len = 0; len < 0x500; ++len) {
        drtm::binary::ByteView cut(good.data(), len);
        EXPECT_THROW(parse_bzimage(cut), ParseError) << len;
    }
    // Past the kernel_info the kernel parses; before it, it must fail cleanly.
    for (std::size_t len = 0x500; len < good.size(); len += 7) {
        try {
            parse_bzimage(drtm::binary::ByteView(good.data(), len));
        } catch (const ParseError&) {
        }
    }
}

TEST(BzImage, DebianKernelWhenPresent) {
    std::filesystem::path path = std::filesystem::path(DRTM_ARTIFACTS_DIR) / "vmlinuz";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not downloaded";
    Bytes file = drtm::binary::read_file(path);
    BzImage img = parse_bzimage(file);
    EXPECT_GE(img.header.version, 0x020F);
    EXPECT_EQ(img.payload_offset, (std::size_t{img.setup_sects} + 1) * 512);
    EXPECT_EQ(img.payload_offset + img.payload_size, file.size());
    EXPECT_NE(img.header.xloadflags & 1, 0);  // 64-bit kernel
    ASSERT_TRUE(img.kernel_info.has_value());
    EXPECT_EQ(img.kernel_info->file_offset, img.payload_offset + img.header.kernel_info_offset);
    // Debian's kernel is not built with CONFIG_SECURE_LAUNCH.
    EXPECT_FALSE(img.secure_launch_capable());
    EXPECT_EQ(img.dlme_entry(), 0u);
    EXPECT_FALSE(img.kernel_version.empty());
    // The payload by raw arithmetic on the file, independent of the parser.
    std::size_t sects = file[0x1F1] ? file[0x1F1] : 4;
    drtm::binary::ByteView raw(file.data() + (sects + 1) * 512, file.size() - (sects + 1) * 512);
    EXPECT_EQ(drtm::crypto::hash(HashAlg::sha256, bzimage_payload(file, img)),
              drtm::crypto::hash(HashAlg::sha256, raw));
}
