#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "binary/reader.hpp"
#include "binary/writer.hpp"

using namespace drtm::binary;

TEST(Reader, ReadsLittleAndBigEndian) {
    Bytes b = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
    Reader r(b);
    EXPECT_EQ(r.u8(), 0x01);
    EXPECT_EQ(r.u16le(), 0x0302);
    EXPECT_EQ(r.u16be(), 0x0405);
    EXPECT_EQ(r.u32le(), 0x09080706u);
    EXPECT_TRUE(r.at_end());
}

TEST(Reader, TruncationNamesAbsoluteOffset) {
    Bytes b(6, 0);
    Reader outer(b, 0x100);
    outer.skip(2);
    Reader inner = outer.sub(4);
    inner.u16le();
    try {
        inner.u32le();
        FAIL() << "expected ParseError";
    } catch (const ParseError& e) {
        EXPECT_EQ(e.offset(), 0x104u);
        EXPECT_NE(std::string(e.what()).find("offset 0x104"), std::string::npos);
    }
}

TEST(Reader, HugeLengthDoesNotOverflow) {
    Bytes b(8, 0);
    Reader r(b);
    r.skip(4);
    EXPECT_THROW(r.bytes(SIZE_MAX - 2), ParseError);
    EXPECT_THROW(r.seek(9), ParseError);
}

TEST(Writer, RoundTrip) {
    Writer w;
    w.u16le(0xBEEF);
    w.u32be(0x01020304);
    w.u64le(0x1122334455667788ULL);
    w.fixed_string("SKINIT", 8);
    w.patch_u32le(0, 0xAABBCCDD);
    Reader r(w.data());
    EXPECT_EQ(r.u32le(), 0xAABBCCDDu);
    EXPECT_EQ(r.u16be(), 0x0304);
    EXPECT_EQ(r.u64le(), 0x1122334455667788ULL);
    auto s = r.bytes(8);
    EXPECT_EQ(std::string(s.begin(), s.begin() + 6), "SKINIT");
    EXPECT_EQ(s[6], 0);
}

TEST(Hex, RoundTripAndErrors) {
    EXPECT_EQ(to_hex(from_hex("0xDEadBEEF")), "deadbeef");
    EXPECT_THROW(from_hex("abc"), std::invalid_argument);
    EXPECT_THROW(from_hex("zz"), std::invalid_argument);
}

TEST(FileIo, AtomicWriteReplacesWholeFile) {
    auto dir =
        std::filesystem::temp_directory_path() / ("drtm-fileio-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto f = dir / "out.bin";
    write_file_atomic(f, std::string_view("first version, long"));
    write_file_atomic(f, std::string_view("second"));
    auto back = read_file(f);
    EXPECT_EQ(std::string(back.begin(), back.end()), "second");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
    EXPECT_THROW(read_file(dir / "missing"), std::runtime_error);
    std::filesystem::remove_all(dir);
}
