// decode_kallsyms on a table laid out as scripts/kallsyms.c writes it (Linux
// 6.1, base-relative, absolute per-CPU, with kallsyms_seqs_of_names), built
// here from that layout, inside a hand-built ELF's .rodata.
#include "image/kallsyms.hpp"

#include <gtest/gtest.h>

#include "binary/error.hpp"
#include "image/elf.hpp"
#include "support/tiny_elf.hpp"

using namespace drtm;

namespace {

constexpr std::uint64_t kBase = 0xffffffff81000000ull;

struct Sym {
    char type;
    std::string name;
    std::int32_t raw_offset;
};

void put(binary::Bytes& b, std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void align8(binary::Bytes& b) {
    while (b.size() % 8) b.push_back(0);
}

// Tokens: index 0 is "_x"; every other index c is the one character c. A
// name is encoded one token per character, except "_x" pairs.
binary::Bytes encode_name(const std::string& text) {
    binary::Bytes tokens;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 2, "_x") == 0) {
            tokens.push_back(0);
            ++i;
        } else {
            tokens.push_back(static_cast<std::uint8_t>(text[i]));
        }
    }
    binary::Bytes out;
    if (tokens.size() < 0x80) {
        out.push_back(static_cast<std::uint8_t>(tokens.size()));
    } else {
        out.push_back(static_cast<std::uint8_t>(0x80 | (tokens.size() & 0x7F)));
        out.push_back(static_cast<std::uint8_t>(tokens.size() >> 7));
    }
    out.insert(out.end(), tokens.begin(), tokens.end());
    return out;
}

std::vector<Sym> symbols() {
    std::vector<Sym> s;
    s.push_back({'T', "_text", -1});  // base - 1 - (-1) = base
    for (int i = 1; i < 600; ++i) s.push_back({'t', "fn_x" + std::to_string(i), -1 - 16 * i});
    s.push_back({'D', "percpu_counter", 0x1040});  // absolute (per-CPU)
    s.push_back({'T', "a_name_longer_than_127_tokens_" + std::string(120, 'q'), -1 - 0x9000});
    s.push_back({'T', "_etext", -1 - 0xA000});
    return s;
}

// Something before the tables, then offsets, relative_base, num_syms, names,
// markers, seqs_of_names, token_table, token_index, then something after.
binary::Bytes rodata() {
    auto syms = symbols();
    binary::Bytes b(64, 0xAB);
    for (const auto& s : syms) put(b, static_cast<std::uint32_t>(s.raw_offset), 4);
    align8(b);
    put(b, kBase, 8);
    put(b, syms.size(), 4);
    align8(b);
    std::vector<std::uint32_t> markers;
    const std::size_t names = b.size();
    for (std::size_t i = 0; i < syms.size(); ++i) {
        if (i % 256 == 0) markers.push_back(static_cast<std::uint32_t>(b.size() - names));
        auto n = encode_name(std::string(1, syms[i].type) + syms[i].name);
        b.insert(b.end(), n.begin(), n.end());
    }
    align8(b);
    for (auto m : markers) put(b, m, 4);
    align8(b);
    b.insert(b.end(), 3 * syms.size(), 0x5E);  // kallsyms_seqs_of_names
    align8(b);
    std::vector<std::uint16_t> index;
    const std::size_t table = b.size();
    for (int i = 0; i < 256; ++i) {
        index.push_back(static_cast<std::uint16_t>(b.size() - table));
        if (i == 0) {
            b.push_back('_');
            b.push_back('x');
        } else {
            b.push_back(static_cast<std::uint8_t>(i));
        }
        b.push_back(0);
    }
    align8(b);
    for (auto i : index) put(b, i, 2);
    b.insert(b.end(), 40, 0xCD);
    return b;
}

}  // namespace

TEST(Kallsyms, DecodesEverySymbolAndItsAddress) {
    auto file = testsupport::TinyElf(true).with_rodata(rodata()).build();
    auto elf = image::ElfImage::parse(file);
    image::KallsymsLayout layout;
    auto table = image::decode_kallsyms(elf, &layout);
    auto expected = symbols();
    EXPECT_EQ(table.size(), expected.size());
    EXPECT_EQ(layout.count, expected.size());
    EXPECT_EQ(layout.relative_base, kBase);
    EXPECT_EQ(layout.offsets, testsupport::kRodataAddr + 64);
    EXPECT_EQ(table.require("_text"), kBase);
    EXPECT_EQ(table.require("fn_x599"), kBase + 16 * 599);
    EXPECT_EQ(table.require("percpu_counter"), 0x1040u);
    EXPECT_EQ(table.require("a_name_longer_than_127_tokens_" + std::string(120, 'q')),
              kBase + 0x9000);
    EXPECT_EQ(table.require("_etext"), kBase + 0xA000);
    EXPECT_FALSE(table.address("no_such_symbol"));
    EXPECT_THROW(table.require("no_such_symbol"), std::runtime_error);
    EXPECT_EQ(table.symbolize(kBase + 16 * 7 + 3), "fn_x7+0x3");
    EXPECT_EQ(table.symbolize(kBase + 16 * 7), "fn_x7");
    for (const auto& s : table.all()) {
        if (s.name == "percpu_counter") {
            EXPECT_EQ(s.type, 'D');
        }
    }
}

TEST(Kallsyms, AMarkerThatDisagreesMeansNoTable) {
    auto ro = rodata();
    // Corrupt the second marker (the first u32 after the names that is 256 names in).
    auto file = testsupport::TinyElf(true).with_rodata(ro).build();
    auto elf = image::ElfImage::parse(file);
    image::KallsymsLayout layout;
    image::decode_kallsyms(elf, &layout);
    const std::size_t marker1 = layout.markers + 4 - testsupport::kRodataAddr;
    ro[marker1] ^= 0x01;
    auto bad = testsupport::TinyElf(true).with_rodata(ro).build();
    EXPECT_THROW(image::decode_kallsyms(image::ElfImage::parse(bad)), binary::ParseError);
}

TEST(Kallsyms, AnImageWithoutATokenTableIsAClearError) {
    auto file = testsupport::TinyElf(true).with_rodata(binary::Bytes(4096, 0)).build();
    try {
        image::decode_kallsyms(image::ElfImage::parse(file));
        FAIL();
    } catch (const binary::ParseError& e) {
        EXPECT_NE(std::string(e.what()).find("token table"), std::string::npos) << e.what();
    }
}
