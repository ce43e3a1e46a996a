// Multiboot2 boot information: byte layout by hand (spec §3.6), round trip,
// malformed input.
#include <gtest/gtest.h>

#include <random>

#include "binary/error.hpp"
#include "image/errors.hpp"
#include "image/mbi.hpp"

using namespace drtm::image;
using drtm::binary::Bytes;
using drtm::binary::ParseError;

namespace {

std::uint64_t le(const Bytes& b, std::size_t off, int width) {
    std::uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = (v << 8) | b.at(off + i);
    return v;
}

GrubMbiContents sample() {
    GrubMbiContents c;
    c.load_base_addr = 0x200000;
    c.cmdline = "placeholder console=com1";
    c.boot_loader_name = "GRUB 2.12";
    c.modules = {{0x1000000, 0x1800000, "vmlinuz root=/dev/xvda"}, {0x2000000, 0x2400000, ""}};
    c.mmap = {{0, 0x9FC00, 1, 0}, {0x100000, 0x7FF00000, 1, 0}};
    c.basic_meminfo = MbiMeminfo{639, 2096128};
    return c;
}

}  // namespace

TEST(Mbi, ByteLayout) {
    Bytes m = build_grub_mbi(sample());
    EXPECT_EQ(le(m, 0, 4), m.size());  // total_size
    EXPECT_EQ(le(m, 4, 4), 0u);        // reserved
    std::size_t p = 8;
    // load_base_addr: type 21, size 12, padded to 16.
    EXPECT_EQ(le(m, p, 4), 21u);
    EXPECT_EQ(le(m, p + 4, 4), 12u);
    EXPECT_EQ(le(m, p + 8, 4), 0x200000u);
    p += 16;
    // cmdline: type 1, size 8 + 24 + 1 = 33, padded to 40.
    EXPECT_EQ(le(m, p, 4), 1u);
    EXPECT_EQ(le(m, p + 4, 4), 33u);
    EXPECT_EQ(std::string(m.begin() + p + 8, m.begin() + p + 32), "placeholder console=com1");
    EXPECT_EQ(m[p + 32], 0);
    p += 40;
    // boot loader name: size 8 + 10 = 18, padded to 24.
    EXPECT_EQ(le(m, p, 4), 2u);
    EXPECT_EQ(le(m, p + 4, 4), 18u);
    p += 24;
    // module: type 3, mod_start, mod_end, cmdline.
    EXPECT_EQ(le(m, p, 4), 3u);
    EXPECT_EQ(le(m, p + 4, 4), 16u + 23u);
    EXPECT_EQ(le(m, p + 8, 4), 0x1000000u);
    EXPECT_EQ(le(m, p + 12, 4), 0x1800000u);
    p += 40;
    EXPECT_EQ(le(m, p, 4), 3u);  // empty module command line: 16 + 1 → 24
    EXPECT_EQ(le(m, p + 4, 4), 17u);
    p += 24;
    // mmap: entry_size 24, version 0, two 24-byte entries.
    EXPECT_EQ(le(m, p, 4), 6u);
    EXPECT_EQ(le(m, p + 4, 4), 16u + 48u);
    EXPECT_EQ(le(m, p + 8, 4), 24u);
    EXPECT_EQ(le(m, p + 12, 4), 0u);
    EXPECT_EQ(le(m, p + 16 + 24, 8), 0x100000u);
    EXPECT_EQ(le(m, p + 16 + 32, 8), 0x7FF00000u);
    EXPECT_EQ(le(m, p + 16 + 40, 4), 1u);
    p += 64;
    // basic meminfo: type 4, size 16.
    EXPECT_EQ(le(m, p, 4), 4u);
    EXPECT_EQ(le(m, p + 4, 4), 16u);
    EXPECT_EQ(le(m, p + 8, 4), 639u);
    EXPECT_EQ(le(m, p + 12, 4), 2096128u);
    p += 16;
    // END.
    EXPECT_EQ(le(m, p, 4), 0u);
    EXPECT_EQ(le(m, p + 4, 4), 8u);
    EXPECT_EQ(p + 8, m.size());
}

TEST(Mbi, RoundTrip) {
    GrubMbiContents c = sample();
    Mbi mbi = parse_mbi(build_grub_mbi(c));
    EXPECT_EQ(mbi.cmdline, c.cmdline);
    EXPECT_EQ(mbi.boot_loader_name, c.boot_loader_name);
    EXPECT_EQ(mbi.modules, c.modules);
    EXPECT_EQ(mbi.mmap, c.mmap);
    EXPECT_EQ(mbi.basic_meminfo, c.basic_meminfo);
    EXPECT_EQ(mbi.load_base_addr, 0x200000u);
    EXPECT_EQ(mbi.tags.size(), 7u);
}

TEST(Mbi, RawTagsAndBuilderErrors) {
    Bytes acpi = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
    Bytes m = MbiBuilder().cmdline("").tag(mbi_tag::acpi_old, acpi).finish();
    Mbi mbi = parse_mbi(m);
    ASSERT_EQ(mbi.tags.size(), 2u);
    EXPECT_EQ(mbi.tags[1].type, mbi_tag::acpi_old);
    EXPECT_EQ(mbi.tags[1].data, acpi);
    EXPECT_THROW(MbiBuilder().tag(mbi_tag::end, {}), BuildError);
    EXPECT_THROW(MbiBuilder().cmdline(std::string("a\0b", 3)), BuildError);
    EXPECT_THROW(MbiBuilder().module({10, 5, ""}), BuildError);
}

TEST(Mbi, Malformed) {
    Bytes good = build_grub_mbi(sample());
    auto put32 = [](Bytes& b, std::size_t off, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
    };
    Bytes b = good;
    put32(b, 0, 8);  // total_size below header + END
    EXPECT_THROW(parse_mbi(b), ParseError);
    b = good;
    put32(b, 0, static_cast<std::uint32_t>(good.size() + 8));
    EXPECT_THROW(parse_mbi(b), ParseError);
    b = good;
    put32(b, 8 + 4, 7);  // first tag size below 8
    EXPECT_THROW(parse_mbi(b), ParseError);
    b = good;
    put32(b, 8 + 4, 0x10000);
    EXPECT_THROW(parse_mbi(b), ParseError);
    b = good;
    put32(b, 0, static_cast<std::uint32_t>(good.size() - 8));  // END outside total_size
    try {
        parse_mbi(b);
        FAIL();
    } catch (const ParseError& e) {
        EXPECT_NE(std::string(e.what()).find("END"), std::string::npos);
    }
    b = good;
    b[24 + 8 + 24] = 'x';  // overwrite the cmdline NUL
    EXPECT_THROW(parse_mbi(b), ParseError);

    for (std::size_t n = 0; n < good.size(); ++n)
        EXPECT_THROW(parse_mbi(drtm::binary::ByteView(good.data(), n)), ParseError) << n;
    std::mt19937 rng(7);
    for (int round = 0; round < 2000; ++round) {
        Bytes c = good;
        c[rng() % c.size()] = static_cast<std::uint8_t>(rng());
        try {
            parse_mbi(c);
        } catch (const ParseError&) {
        }
    }
}
