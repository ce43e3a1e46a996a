// Undoing KASLR in a copy: what the decompressor added at each kind of
// relocation field (arch/x86/boot/compressed/misc.c handle_relocations) is
// taken back; fields outside the copy are left alone.
#include "inspect/linux_locate.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace drtm;

TEST(UndoRelocations, TakesBackWhatTheDecompressorAdded) {
    const std::uint64_t va = 0xffffffff81000000ull;
    const std::int64_t delta = 0x2cc00000;
    binary::Bytes golden(64, 0);
    const std::uint32_t abs32 = 0x81234560u, inv32 = 0x00001000u;
    const std::uint64_t abs64 = 0xffffffff82345678ull;
    std::memcpy(&golden[0], &abs32, 4);
    std::memcpy(&golden[8], &inv32, 4);
    std::memcpy(&golden[16], &abs64, 8);
    // As the decompressor leaves it: += delta, -= delta, += delta.
    binary::Bytes runtime = golden;
    const std::uint32_t r32 = abs32 + 0x2cc00000u, rinv = inv32 - 0x2cc00000u;
    const std::uint64_t r64 = abs64 + 0x2cc00000ull;
    std::memcpy(&runtime[0], &r32, 4);
    std::memcpy(&runtime[8], &rinv, 4);
    std::memcpy(&runtime[16], &r64, 8);
    runtime[40] = 0xAA;  // not a field: stays
    image::X86Relocations relocs;
    relocs.rel32 = {va + 0, va + 62, va - 8};  // the last two fall outside the copy
    relocs.inverse32 = {va + 8};
    relocs.rel64 = {va + 16};
    inspect::undo_relocations(runtime, va, delta, relocs);
    binary::Bytes expected = golden;
    expected[40] = 0xAA;
    EXPECT_EQ(runtime, expected);
}

TEST(UndoRelocations, NoOffsetChangesNothing) {
    binary::Bytes copy(16, 0x5A);
    image::X86Relocations relocs;
    relocs.rel32 = {0x1000};
    inspect::undo_relocations(copy, 0x1000, 0, relocs);
    EXPECT_EQ(copy, binary::Bytes(16, 0x5A));
}
