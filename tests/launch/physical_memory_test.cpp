#include "launch/physical_memory.hpp"

#include <gtest/gtest.h>

using drtm::binary::Bytes;
using drtm::launch::PhysicalMemory;

TEST(PhysicalMemory, ReadsInsideOneRegion) {
    PhysicalMemory m;
    m.place(0x1000, Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9}, "a");
    auto v = m.read(0x1002, 3);
    EXPECT_EQ(Bytes(v.begin(), v.end()), (Bytes{3, 4, 5}));
    EXPECT_EQ(m.read_u32(0x1000), 0x04030201u);
    EXPECT_EQ(m.read(0x1009, 0).size(), 0u);
}

TEST(PhysicalMemory, RefusesOverlapsAndOutOfRangeReads) {
    PhysicalMemory m;
    m.place(0x1000, Bytes(0x100, 0), "a");
    m.place(0x1100, Bytes(0x100, 0), "b");  // adjacent is fine
    EXPECT_THROW(m.place(0x10FF, Bytes(2, 0), "c"), std::runtime_error);
    EXPECT_THROW(m.read(0x10F0, 0x20), std::runtime_error) << "spans two regions";
    EXPECT_THROW(m.read(0x0FFF, 1), std::runtime_error);
    EXPECT_THROW(m.read(0x1000, ~0ULL), std::runtime_error) << "size overflow";
    EXPECT_THROW(m.place(~0ULL - 1, Bytes(4, 0), "wrap"), std::runtime_error);
}
