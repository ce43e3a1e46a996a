// dom0's vCPUs read from hand-built Xen memory: Xen's idle_pg_table maps
// its directmap (0xffff830000000000, top-level slot 262) onto guest
// physical 0 with one 2 MiB page; struct domain and struct vcpu laid out
// at the offsets of Debian's Xen 4.17 build.
#include "inspect/xen_vcpus.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "support/guest_ram_image.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kDirectMap = 0xffff830000000000ull;
constexpr std::uint64_t kDomain = 0x10000, kArray = 0x11000, kVcpu0 = 0x20000, kVcpu2 = 0x30000,
                        kTraps = 0x40000;
constexpr const char* kDebianBuild = "151b373fd64b321593bf987fd923cd10dabadac4";

class XenVcpusTest : public ::testing::Test {
  protected:
    void SetUp() override {
        put(0x1000 + 8 * 262, 0x2000 | 0x3);  // idle_pg_table[262] → L3
        put(0x2000 + 8 * 0, 0x3000 | 0x3);    // L3[0] → L2
        put(0x3000 + 8 * 0, 0x0 | 0x83);      // L2[0]: 2 MiB at physical 0
        // struct domain: max_vcpus (+0x4) 3, vcpu (+0x8) → the array.
        put32(kDomain + 0x4, 3);
        put(kDomain + 0x8, kDirectMap + kArray);
        put(kArray + 0, kDirectMap + kVcpu0);
        put(kArray + 8, 0);  // vCPU 1 never allocated
        put(kArray + 16, kDirectMap + kVcpu2);
        // vCPU 0: in kernel mode, tables at frames 0x55 and 0x56, an event
        // and a failsafe callback, and trap 14 in its trap table.
        put32(kVcpu0 + 0x0, 0);
        put(kVcpu0 + 0x10, kDirectMap + kDomain);
        put(kVcpu0 + 0x380, 1);
        put(kVcpu0 + 0xb08, 0x55);
        put(kVcpu0 + 0xb00, 0x56);
        put(kVcpu0 + 0x568, 0xffffffff81000100ull);
        put(kVcpu0 + 0x570, 0xffffffff81000200ull);
        put(kVcpu0 + 0x490, kDirectMap + kTraps);
        put(kTraps + 14 * 16 + 8, 0xffffffff81000300ull);
        // vCPU 2: brought up by nothing yet.
        put32(kVcpu2 + 0x0, 2);
        put(kVcpu2 + 0x10, kDirectMap + kDomain);
    }
    void put(std::uint64_t at, std::uint64_t v) { image_.put(at, v); }
    void put32(std::uint64_t at, std::uint32_t v) { image_.put32(at, v); }
    const inspect::GuestMemory& ram() { return image_.memory(); }
    std::vector<inspect::Dom0Vcpu> read() {
        const auto* layout = inspect::xen_vcpu_layout(kDebianBuild);
        EXPECT_NE(layout, nullptr);
        return inspect::XenDom0Vcpus(*layout, 0x1000, kDirectMap + kDomain).read(ram());
    }
    std::string error() {
        try {
            read();
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }
    testsupport::GuestRamImage image_{4 << 20};
};

}  // namespace

TEST_F(XenVcpusTest, ReadsEveryVcpuXenHolds) {
    const auto vcpus = read();
    ASSERT_EQ(vcpus.size(), 2u);
    EXPECT_EQ(vcpus[0].id, 0u);
    EXPECT_EQ(vcpus[0].kernel_table, 0x55000u);
    EXPECT_EQ(vcpus[0].user_table, 0x56000u);
    EXPECT_TRUE(vcpus[0].kernel_mode);
    const std::vector<std::pair<std::string, std::uint64_t>> entries = {
        {"event callback", 0xffffffff81000100ull},
        {"failsafe callback", 0xffffffff81000200ull},
        {"trap 14", 0xffffffff81000300ull}};
    EXPECT_EQ(vcpus[0].entry_points, entries);
    EXPECT_EQ(vcpus[1].id, 2u);
    EXPECT_EQ(vcpus[1].kernel_table, 0u);
    EXPECT_FALSE(vcpus[1].kernel_mode);
    EXPECT_TRUE(vcpus[1].entry_points.empty());
}

// A struct vcpu that does not name dom0 and its index means the layout is
// not this build's: nothing is used.
TEST_F(XenVcpusTest, ALayoutThatDoesNotCheckOutIsRefused) {
    put32(kVcpu2 + 0x0, 5);
    EXPECT_NE(error().find("dom0's vCPU 2 (struct vcpu at 0xffff830000030000) does not name dom0"),
              std::string::npos)
        << error();
    put32(kVcpu2 + 0x0, 2);
    put(kVcpu2 + 0x10, kDirectMap + 0x50000);
    EXPECT_NE(error().find("does not name dom0"), std::string::npos);
    put(kVcpu2 + 0x10, kDirectMap + kDomain);
    put32(kDomain + 0x4, 0);
    EXPECT_NE(error().find("max_vcpus reads 0"), std::string::npos) << error();
    put32(kDomain + 0x4, 3);
    put(kArray + 16, 0xffff900000000000ull);  // not mapped by idle_pg_table
    EXPECT_NE(error().find("is not mapped into guest RAM"), std::string::npos) << error();
}

TEST_F(XenVcpusTest, OnlyKnownBuildsHaveALayout) {
    EXPECT_NE(inspect::xen_vcpu_layout(kDebianBuild), nullptr);
    EXPECT_EQ(inspect::xen_vcpu_layout("00"), nullptr);
}
