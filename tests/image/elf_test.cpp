// The ELF parser against binutils' readelf (the independent reference): on
// the drtm executable itself (ELF64, with symbols) and on hand-built ELF32
// and ELF64 files; malformed headers fail at the offset of the bad field.
#include "image/elf.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "support/run_command.hpp"
#include "support/tiny_elf.hpp"

using namespace drtm;
using image::ElfImage;
namespace fs = std::filesystem;

namespace {

struct ReadelfSection {
    std::string name;
    std::uint64_t addr, offset, size;
};

// `readelf -S -W`: "[Nr] Name Type Address Off Size ES Flg Lk Inf Al".
std::vector<ReadelfSection> readelf_sections(const fs::path& file) {
    auto r = testsupport::run_command("readelf -S -W " + testsupport::quote(file.string()));
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<ReadelfSection> out;
    std::regex line(R"(\[\s*\d+\]\s+(\S*)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s)");
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        if (!std::regex_search(l, m, line)) continue;
        out.push_back({m[1], std::stoull(m[2], nullptr, 16), std::stoull(m[3], nullptr, 16),
                       std::stoull(m[4], nullptr, 16)});
    }
    return out;
}

fs::path write_temp(const binary::Bytes& bytes, const std::string& name) {
    auto p = fs::temp_directory_path() / ("drtm-elf-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return p;
}

void expect_sections_match_readelf(const ElfImage& elf, const fs::path& file) {
    auto reference = readelf_sections(file);
    ASSERT_EQ(reference.size(), elf.sections().size());
    for (std::size_t i = 0; i < reference.size(); ++i) {
        const auto& s = elf.sections()[i];
        if (i > 0) {
            EXPECT_EQ(s.name, reference[i].name) << i;
        }
        EXPECT_EQ(s.addr, reference[i].addr) << s.name;
        EXPECT_EQ(s.offset, reference[i].offset) << s.name;
        EXPECT_EQ(s.size, reference[i].size) << s.name;
    }
}

}  // namespace

TEST(Elf, TheDrtmExecutableMatchesReadelf) {
    auto bytes = binary::read_file(DRTM_BINARY);
    auto elf = ElfImage::parse(bytes);
    EXPECT_TRUE(elf.is_64bit());
    EXPECT_EQ(elf.machine(), 62);
    expect_sections_match_readelf(elf, DRTM_BINARY);

    // Symbol count: readelf numbers .symtab's entries "Num:" from 0.
    auto syms = testsupport::run_command(std::string("readelf -s -W ") + DRTM_BINARY);
    auto at = syms.out.find("Symbol table '.symtab' contains ");
    ASSERT_NE(at, std::string::npos);
    auto count = std::stoull(syms.out.substr(at + 32));
    EXPECT_EQ(elf.symbols().size(), count);
    const auto* main_symbol = elf.symbol("main");
    ASSERT_NE(main_symbol, nullptr);
    EXPECT_EQ(main_symbol->type, 2);  // STT_FUNC

    // Build ID as readelf -n prints it.
    auto notes = testsupport::run_command(std::string("readelf -n ") + DRTM_BINARY);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(notes.out, m, std::regex(R"(Build ID: ([0-9a-f]+))")));
    ASSERT_TRUE(elf.build_id());
    EXPECT_EQ(binary::to_hex(*elf.build_id()), m[1].str());
}

class TinyElfTest : public ::testing::TestWithParam<bool> {};

TEST_P(TinyElfTest, SectionsSymbolsNotesAndAddressesMatchReadelf) {
    const bool is64 = GetParam();
    auto bytes = testsupport::TinyElf(is64).build();
    auto path = write_temp(bytes, is64 ? "64" : "32");
    auto elf = ElfImage::parse(bytes);
    EXPECT_EQ(elf.is_64bit(), is64);
    expect_sections_match_readelf(elf, path);
    auto header = testsupport::run_command("readelf -h -l -W " + testsupport::quote(path.string()));
    EXPECT_NE(header.out.find(is64 ? "ELF64" : "ELF32"), std::string::npos) << header.out;
    EXPECT_EQ(header.out.find("Warning"), std::string::npos) << header.out;
    fs::remove(path);

    const std::uint64_t text = is64 ? testsupport::kTextAddr : testsupport::kTextAddr32;
    EXPECT_EQ(elf.entry(), text);
    ASSERT_EQ(elf.segments().size(), 2u);
    EXPECT_EQ(elf.segments()[0].vaddr, text);
    ASSERT_EQ(elf.symbols().size(), 3u);
    EXPECT_EQ(elf.symbol("start")->value, text);
    EXPECT_EQ(elf.symbol("data_obj")->size, 8u);
    EXPECT_EQ(elf.symbol("data_obj")->type, 1);
    EXPECT_EQ(binary::to_hex(*elf.build_id()), "0102030405060708090a0b0c0d0e0f1011121314");
    EXPECT_EQ(binary::to_hex(elf.bytes_at(text + 14, 2)), "9091");
    EXPECT_THROW(elf.bytes_at(text + 15, 2), binary::ParseError);     // past .text
    EXPECT_THROW(elf.bytes_at(text + 0x100, 1), binary::ParseError);  // .bss has no file bytes
    EXPECT_TRUE(elf.contents(*elf.section(".bss")).empty());
    EXPECT_EQ(elf.end_of_image(), bytes.size());
}

INSTANTIATE_TEST_SUITE_P(Classes, TinyElfTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Elf64" : "Elf32"; });

namespace {
std::size_t failure_offset(const binary::Bytes& bytes) {
    try {
        ElfImage::parse(bytes);
    } catch (const binary::ParseError& e) {
        return e.offset();
    }
    ADD_FAILURE() << "parsed";
    return 0;
}
}  // namespace

TEST(Elf, MalformedHeadersFailAtTheBadField) {
    auto good = testsupport::TinyElf(true).build();
    auto bad = good;
    bad[5] = 2;  // big-endian
    EXPECT_EQ(failure_offset(bad), 5u);
    bad = good;
    bad[4] = 3;
    EXPECT_EQ(failure_offset(bad), 4u);
    bad = good;
    bad[0x28] = 0xF0;  // e_shoff far outside the file
    bad[0x2C] = 0x01;
    EXPECT_EQ(failure_offset(bad), 0x28u);
    bad = good;
    bad[0x3A] = 40;  // e_shentsize of ELF32 in an ELF64
    EXPECT_EQ(failure_offset(bad), 0x3Au);
    bad = good;
    bad[0x3E] = 9;  // e_shstrndx beyond the section count
    EXPECT_EQ(failure_offset(bad), 0x3Eu);
    EXPECT_EQ(failure_offset(binary::Bytes(good.begin(), good.begin() + 40)), 40u);  // truncated
    EXPECT_THROW(ElfImage::parse(binary::Bytes{0x7F, 'E', 'L'}), binary::ParseError);
}

TEST(Elf, ASectionPastTheEndOfTheFileIsNamed) {
    auto bytes = testsupport::TinyElf(true).build();
    // Section 1 (.text) header: sh_size at +32 of its 64-byte entry.
    std::uint64_t shoff = 0;
    for (int i = 0; i < 8; ++i) shoff |= std::uint64_t(bytes[0x28 + i]) << (8 * i);
    bytes[shoff + 64 + 32 + 3] = 0x10;  // size 0x10000010
    try {
        ElfImage::parse(bytes);
        FAIL();
    } catch (const binary::ParseError& e) {
        EXPECT_EQ(e.offset(), shoff + 64);
        EXPECT_NE(std::string(e.what()).find("section 1"), std::string::npos) << e.what();
    }
}

TEST(Elf, SectionsWithoutFileBytesCannotServeAsTablesOrLieOutsideTheFile) {
    auto good = testsupport::TinyElf(true).build();
    std::uint64_t shoff = 0;
    for (int i = 0; i < 8; ++i) shoff |= std::uint64_t(good[0x28 + i]) << (8 * i);
    // .shstrtab (section 6) turned into NOBITS with a far offset.
    auto bad = good;
    bad[shoff + 6 * 64 + 4] = 8;          // sh_type = SHT_NOBITS
    bad[shoff + 6 * 64 + 24 + 3] = 0x7F;  // sh_offset = 0x7f000000 + ...
    EXPECT_THROW(ElfImage::parse(bad), binary::ParseError);
    // The NULL section with a 4 GiB offset: checked like any other.
    bad = good;
    bad[shoff + 24 + 4] = 1;  // section 0's sh_offset = 1 << 32
    bad[shoff + 32] = 1;      // and a size
    EXPECT_THROW(ElfImage::parse(bad), binary::ParseError);
}

TEST(Elf, AnOverlongNameIsRefusedNotCopied) {
    auto bytes = testsupport::TinyElf(true).with_rodata(binary::Bytes(8192, 'a')).build();
    std::uint64_t shoff = 0;
    for (int i = 0; i < 8; ++i) shoff |= std::uint64_t(bytes[0x28 + i]) << (8 * i);
    // Point .shstrtab at the 8 KiB of 'a' in .rodata (no NUL for 8 KiB).
    std::uint64_t ro_offset = 0;
    for (int i = 0; i < 8; ++i)
        ro_offset |= std::uint64_t(bytes[shoff + 7 * 64 + 24 + i]) << (8 * i);
    for (int i = 0; i < 8; ++i) {
        bytes[shoff + 6 * 64 + 24 + i] = static_cast<std::uint8_t>(ro_offset >> (8 * i));
        bytes[shoff + 6 * 64 + 32 + i] = static_cast<std::uint8_t>(std::uint64_t{8192} >> (8 * i));
    }
    try {
        ElfImage::parse(bytes);
        FAIL();
    } catch (const binary::ParseError& e) {
        EXPECT_NE(std::string(e.what()).find("longer than"), std::string::npos) << e.what();
    }
}
