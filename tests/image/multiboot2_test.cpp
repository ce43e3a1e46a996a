// Multiboot2 header search and validation, and Xen images (synthetic, and
// Debian's xen-4.17 when the lead's download is present).
#include <gtest/gtest.h>

#include <zlib.h>

#include <filesystem>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "image/multiboot2_header.hpp"
#include "image/xen.hpp"

using namespace drtm::image;
using drtm::binary::Bytes;
using drtm::binary::ParseError;

namespace {

void put32(Bytes& b, std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

// The header Xen carries: information request, entry address, relocatable.
Bytes xen_like_header() {
    Mb2HeaderTag info{mb2_header_tag::information_request, 0, 0, 0, {}};
    for (std::uint32_t t : {1u, 6u, 14u}) {
        for (int i = 0; i < 4; ++i) info.data.push_back(static_cast<std::uint8_t>(t >> (8 * i)));
    }
    Mb2HeaderTag entry{mb2_header_tag::entry_address, 0, 0, 0, {0x0C, 0x00, 0x20, 0x00}};
    Mb2HeaderTag reloc{mb2_header_tag::relocatable, kMb2TagOptional, 0, 0, {}};
    for (std::uint32_t v : {0x200000u, 0xFFFFFFFFu, 0x200000u, 2u})
        for (int i = 0; i < 4; ++i) reloc.data.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return build_multiboot2_header(kMultiboot2ArchI386, {info, entry, reloc});
}

Bytes image_with_header_at(std::size_t offset, std::size_t size = 0x4000) {
    Bytes img(size, 0x90);
    Bytes h = xen_like_header();
    std::copy(h.begin(), h.end(), img.begin() + static_cast<long>(offset));
    return img;
}

Bytes gzip_of(const Bytes& data) {
    uLongf cap = compressBound(data.size()) + 64;
    Bytes out(cap);
    z_stream s{};
    deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    s.next_in = const_cast<Bytef*>(data.data());
    s.avail_in = static_cast<uInt>(data.size());
    s.next_out = out.data();
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, Z_FINISH);
    out.resize(s.total_out);
    deflateEnd(&s);
    return out;
}

}  // namespace

TEST(Multiboot2Header, BuiltHeaderBytes) {
    Bytes h = xen_like_header();
    // magic, arch, header_length, checksum (sum of the four is 0 mod 2^32).
    EXPECT_EQ(h[0], 0xD6);
    EXPECT_EQ(h[3], 0xE8);
    std::uint32_t len = h[8] | h[9] << 8 | h[10] << 16 | h[11] << 24;
    EXPECT_EQ(len, h.size());
    std::uint32_t sum = 0;
    for (int f = 0; f < 4; ++f)
        sum += static_cast<std::uint32_t>(h[4 * f] | h[4 * f + 1] << 8 | h[4 * f + 2] << 16 |
                                          h[4 * f + 3] << 24);
    EXPECT_EQ(sum, 0u);
    // First tag at 16: type 1, flags 0, size 8 + 12 = 20, padded to 24.
    EXPECT_EQ(h[16], 1);
    EXPECT_EQ(h[20], 20);
    EXPECT_EQ(h[16 + 24], 3);  // entry address tag starts 8-aligned
    // END tag last.
    EXPECT_EQ(h[h.size() - 8], 0);
    EXPECT_EQ(h[h.size() - 4], 8);
}

TEST(Multiboot2Header, FoundAndDecoded) {
    Bytes img = image_with_header_at(0x1000);
    Multiboot2Header h = parse_multiboot2_header(img);
    EXPECT_EQ(h.offset, 0x1000u);
    EXPECT_EQ(h.architecture, 0u);
    ASSERT_EQ(h.tags.size(), 3u);
    EXPECT_EQ(h.tags[0].offset, 0x1010u);
    EXPECT_EQ(h.entry_addr, 0x20000Cu);
    ASSERT_TRUE(h.relocatable.has_value());
    EXPECT_EQ(h.relocatable->align, 0x200000u);
    EXPECT_EQ(h.requested_info, (std::vector<std::uint32_t>{1, 6, 14}));
}

TEST(Multiboot2Header, BadChecksumIsReportedAtItsOffset) {
    Bytes img = image_with_header_at(0x800);
    img[0x800 + 12] ^= 1;
    try {
        parse_multiboot2_header(img);
        FAIL();
    } catch (const ParseError& e) {
        EXPECT_EQ(e.offset(), 0x80Cu);
        EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos);
    }
}

TEST(Multiboot2Header, BadCandidateIsSkippedForAGoodOne) {
    Bytes img = image_with_header_at(0x2000);
    put32(img, 0x100, kMultiboot2HeaderMagic);  // stray magic, no valid header
    EXPECT_EQ(parse_multiboot2_header(img).offset, 0x2000u);
}

TEST(Multiboot2Header, NotFoundMisalignedOrTooLate) {
    EXPECT_THROW(parse_multiboot2_header(Bytes(0x100, 0)), ParseError);
    Bytes late = image_with_header_at(0x8000, 0x9000);  // outside the first 32 KiB
    EXPECT_THROW(parse_multiboot2_header(late), ParseError);
    Bytes odd(0x100, 0);
    Bytes h = xen_like_header();
    std::copy(h.begin(), h.end(), odd.begin() + 4);  // 4-aligned only
    EXPECT_THROW(parse_multiboot2_header(odd), ParseError);
}

TEST(Multiboot2Header, MalformedTags) {
    Bytes good = image_with_header_at(0);
    std::uint32_t len = static_cast<std::uint32_t>(xen_like_header().size());
    auto reseal = [](Bytes& b, std::uint32_t length) {
        put32(b, 8, length);
        put32(b, 12, 0u - (kMultiboot2HeaderMagic + 0 + length));
    };
    Bytes b = good;
    put32(b, 16 + 4, 4);  // first tag size below 8
    EXPECT_THROW(parse_multiboot2_header(b), ParseError);
    b = good;
    put32(b, 16 + 4, 0x1000);  // tag overflowing header_length
    EXPECT_THROW(parse_multiboot2_header(b), ParseError);
    b = good;
    reseal(b, len - 8);  // END tag cut off
    try {
        parse_multiboot2_header(b);
        FAIL();
    } catch (const ParseError& e) {
        EXPECT_NE(std::string(e.what()).find("END"), std::string::npos) << e.what();
    }
    b = good;
    reseal(b, 0x10000);  // past the image
    EXPECT_THROW(parse_multiboot2_header(b), ParseError);
    b = good;
    put32(b, 4, 7);  // unknown architecture (checksum fixed below)
    put32(b, 12, 0u - (kMultiboot2HeaderMagic + 7 + len));
    EXPECT_THROW(parse_multiboot2_header(b), ParseError);
}

TEST(Multiboot2Header, TruncatedAtEveryLength) {
    Bytes good = image_with_header_at(0);
    std::size_t len = xen_like_header().size();
    for (std::size_t n = 0; n < len; ++n)
        EXPECT_THROW(parse_multiboot2_header(drtm::binary::ByteView(good.data(), n)), ParseError)
            << n;
}

TEST(XenImage, SyntheticGzippedElf) {
    Bytes raw = image_with_header_at(0x1000);
    raw[0] = 0x7F, raw[1] = 'E', raw[2] = 'L', raw[3] = 'F';
    Bytes gz = gzip_of(raw);
    XenImage x = load_xen(gz);
    EXPECT_TRUE(x.was_gzip);
    EXPECT_TRUE(x.is_elf);
    EXPECT_EQ(x.image, raw);
    EXPECT_EQ(x.file_size, gz.size());
    EXPECT_EQ(x.multiboot2.offset, 0x1000u);
    EXPECT_FALSE(x.mle_header.has_value());
    // Uncompressed input works too; a small cap refuses the image.
    EXPECT_EQ(load_xen(raw).image, raw);
    EXPECT_THROW(load_xen(gz, 0x100), ParseError);
}

TEST(XenImage, DebianXenWhenPresent) {
    std::filesystem::path path = std::filesystem::path(DRTM_ARTIFACTS_DIR) / "xen.gz";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not downloaded";
    Bytes file = drtm::binary::read_file(path);
    XenImage x = load_xen(file);
    EXPECT_TRUE(x.was_gzip);
    EXPECT_TRUE(x.is_elf);
    EXPECT_GT(x.image.size(), file.size());
    EXPECT_LT(x.multiboot2.offset, kMultiboot2Search);
    EXPECT_EQ(x.multiboot2.offset % 8, 0u);
    EXPECT_EQ(x.multiboot2.architecture, 0u);
    EXPECT_FALSE(x.multiboot2.tags.empty());
    // Debian's Xen is not a TrenchBoot build: no MLE header.
    EXPECT_FALSE(x.mle_header.has_value());
    // Xen 4.17's head.S, located independently with Python's gzip/struct.
    std::filesystem::path pkg = std::filesystem::path(DRTM_ARTIFACTS_DIR) / "xen.package";
    if (std::filesystem::exists(pkg)) {
        Bytes name = drtm::binary::read_file(pkg);
        if (std::string(name.begin(), name.end()).find("xen-hypervisor-4.17-amd64") == 0) {
            EXPECT_EQ(x.multiboot2.offset, 0x98u);
            EXPECT_EQ(x.multiboot2.header_length, 0x88u);
            EXPECT_EQ(x.multiboot2.checksum, 0x17ADAEA2u);
        }
    }
}
