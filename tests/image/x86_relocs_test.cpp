// The relocation table layout of arch/x86/boot/compressed/misc.c
// handle_relocations(), built by hand.
#include "image/x86_relocs.hpp"

#include <gtest/gtest.h>

#include "binary/error.hpp"

using namespace drtm;

namespace {
void put32(binary::Bytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
// In file order: 0, 64-bit sites, 0, inverse sites, 0, 32-bit sites.
binary::Bytes table() {
    binary::Bytes b;
    put32(b, 0);
    put32(b, 0x81000010);  // 64-bit
    put32(b, 0);
    put32(b, 0x82000020);  // inverse 32
    put32(b, 0x82000024);
    put32(b, 0);
    put32(b, 0x81000100);  // 32-bit, read last-to-first
    put32(b, 0x81000200);
    return b;
}
}  // namespace

TEST(X86Relocations, GroupsAreReadBackwardsAndSignExtended) {
    auto r = image::parse_x86_relocations(table());
    EXPECT_EQ(r.rel32, (std::vector<std::uint64_t>{0xffffffff81000200, 0xffffffff81000100}));
    EXPECT_EQ(r.inverse32, (std::vector<std::uint64_t>{0xffffffff82000024, 0xffffffff82000020}));
    EXPECT_EQ(r.rel64, (std::vector<std::uint64_t>{0xffffffff81000010}));
}

TEST(X86Relocations, EmptyGroupsAreJustTerminators) {
    binary::Bytes b(12, 0);
    auto r = image::parse_x86_relocations(b);
    EXPECT_TRUE(r.rel32.empty() && r.inverse32.empty() && r.rel64.empty());
}

TEST(X86Relocations, BadTablesAreRefusedWithAnOffset) {
    auto t = table();
    t.erase(t.begin(), t.begin() + 4);  // no 64-bit terminator
    EXPECT_THROW(image::parse_x86_relocations(t, 0x100), binary::ParseError);
    auto extra = table();
    extra.insert(extra.begin(), {1, 2, 3, 4});  // an entry before the table's start
    try {
        image::parse_x86_relocations(extra, 0x100);
        FAIL();
    } catch (const binary::ParseError& e) {
        EXPECT_EQ(e.offset(), 0x100u);
    }
    EXPECT_THROW(image::parse_x86_relocations(binary::Bytes(6, 0)), binary::ParseError);
}
