// extract_vmlinux on a synthetic bzImage whose payload is made by the xz and
// gzip command-line tools from a hand-built ELF and relocation table.
#include "image/vmlinux.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "image/synthetic_bzimage.hpp"
#include "support/run_command.hpp"
#include "support/tiny_elf.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {

binary::Bytes compress(const binary::Bytes& data, const std::string& tool) {
    auto in = fs::temp_directory_path() / ("drtm-vmlinux-" + std::to_string(::getpid()));
    binary::write_file_atomic(in, binary::ByteView(data));
    auto r = testsupport::run_command(tool + " -c " + testsupport::quote(in.string()) + " > " +
                                      testsupport::quote(in.string() + ".z"));
    EXPECT_EQ(r.status, 0) << r.err;
    auto out = binary::read_file(in.string() + ".z");
    fs::remove(in);
    fs::remove(in.string() + ".z");
    return out;
}

const binary::Bytes kRelocs = {0, 0, 0, 0, 0x10, 0, 0,    0x81, 0, 0,
                               0, 0, 0, 0, 0,    0, 0x20, 0,    0, 0x81};

// A bzImage whose payload (at payload_offset 0x100) is `stream` + its size field.
binary::Bytes bzimage_with(const binary::Bytes& stream, std::uint32_t stated_size) {
    image_test::SyntheticKernel k;
    k.mle = false;
    k.payload_size = 0x100 + stream.size() + 4;
    auto b = image_test::make_synthetic_bzimage(k);
    const std::size_t payload = 2 * 512;
    image_test::put_le(b, 0x248, 0x100, 4);
    image_test::put_le(b, 0x24C, stream.size() + 4, 4);
    std::copy(stream.begin(), stream.end(), b.begin() + payload + 0x100);
    image_test::put_le(b, payload + 0x100 + stream.size(), stated_size, 4);
    return b;
}

binary::Bytes vmlinux_bin() {
    auto elf = testsupport::TinyElf(true).build();
    elf.insert(elf.end(), kRelocs.begin(), kRelocs.end());
    return elf;
}

}  // namespace

class VmlinuxTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VmlinuxTest, SplitsTheElfFromTheRelocationTable) {
    auto plain = vmlinux_bin();
    auto file = bzimage_with(compress(plain, GetParam() == "xz" ? "xz --check=crc32" : "gzip -9"),
                             static_cast<std::uint32_t>(plain.size()));
    auto v = image::extract_vmlinux(file);
    EXPECT_EQ(v.compression, GetParam());
    EXPECT_EQ(v.payload_file_offset, 2 * 512 + 0x100u);
    EXPECT_EQ(v.elf, testsupport::TinyElf(true).build());
    EXPECT_EQ(v.relocations, kRelocs);
    auto r = image::parse_x86_relocations(v.relocations);
    EXPECT_EQ(r.rel32, std::vector<std::uint64_t>{0xffffffff81000020});
    EXPECT_EQ(r.rel64, std::vector<std::uint64_t>{0xffffffff81000010});
}

INSTANTIATE_TEST_SUITE_P(Compressions, VmlinuxTest, ::testing::Values("xz", "gzip"));

TEST(Vmlinux, AWrongSizeFieldIsNamedAtItsOffset) {
    auto plain = vmlinux_bin();
    auto stream = compress(plain, "xz --check=crc32");
    auto file = bzimage_with(stream, static_cast<std::uint32_t>(plain.size() + 1));
    try {
        image::extract_vmlinux(file);
        FAIL();
    } catch (const binary::ParseError& e) {
        EXPECT_EQ(e.offset(), 2 * 512 + 0x100 + stream.size());
        EXPECT_NE(std::string(e.what()).find("decompresses to"), std::string::npos) << e.what();
    }
}

TEST(Vmlinux, AnUnknownCompressionAndACorruptStreamAreRefused) {
    binary::Bytes lz4 = {0x02, 0x21, 0x4C, 0x18, 1, 2, 3, 4};
    EXPECT_THROW(image::extract_vmlinux(bzimage_with(lz4, 8)), binary::ParseError);
    auto plain = vmlinux_bin();
    auto stream = compress(plain, "xz --check=crc32");
    stream[stream.size() / 2] ^= 0xFF;
    try {
        image::extract_vmlinux(bzimage_with(stream, static_cast<std::uint32_t>(plain.size())));
        FAIL();
    } catch (const binary::ParseError& e) {
        EXPECT_GE(e.offset(), 2 * 512 + 0x100u);  // inside the payload, in file offsets
    }
}
