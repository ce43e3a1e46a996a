// GuestMemory over a file laid out like QEMU's RAM file (offset = GPA).
#include "inspect/guest_memory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace drtm;
namespace fs = std::filesystem;

namespace {
fs::path make_ram(std::size_t size) {
    auto p = fs::temp_directory_path() / ("drtm-ram-" + std::to_string(::getpid()));
    std::ofstream out(p, std::ios::binary);
    for (std::size_t i = 0; i < size; ++i) out.put(static_cast<char>(i * 7 + 1));
    return p;
}
}  // namespace

TEST(GuestMemory, ViewsAndCopiesByGuestPhysicalAddress) {
    auto file = make_ram(1 << 20);
    inspect::GuestMemory ram(file, 1 << 20);
    auto v = ram.view(0x1000, 4);
    EXPECT_EQ(v[0], static_cast<std::uint8_t>(0x1000 * 7 + 1));
    EXPECT_EQ(v[3], static_cast<std::uint8_t>(0x1003 * 7 + 1));
    binary::Bytes copy;
    ram.copy(0xFFFF0, 0x10, copy);
    ASSERT_EQ(copy.size(), 0x10u);
    EXPECT_EQ(copy[15], static_cast<std::uint8_t>(0xFFFFF * 7 + 1));
    EXPECT_THROW(ram.view(0xFFFF0, 0x11), std::out_of_range);
    EXPECT_THROW(ram.view(1 << 20, 1), std::out_of_range);
    EXPECT_NO_THROW(ram.view(1 << 20, 0));
    fs::remove(file);
}

TEST(GuestMemory, RefusesWhatItCannotTranslate) {
    auto file = make_ram(4096);
    EXPECT_THROW(inspect::GuestMemory(file, 8192), std::runtime_error);           // file too small
    EXPECT_THROW(inspect::GuestMemory(file, 3ull << 30), std::invalid_argument);  // > 2.75 GiB
    EXPECT_THROW(inspect::GuestMemory("/nonexistent/ram", 4096), std::runtime_error);
    fs::remove(file);
}
