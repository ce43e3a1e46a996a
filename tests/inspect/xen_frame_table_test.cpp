// Xen's frame table read from a hand-built one: Xen's page tables mapping
// FRAMETABLE_VIRT_START (0xffff82e000000000: top-level slot 261, L3 entry
// 384, L2 entry 0) in 4 KiB pages with a hole, struct page_info entries as
// Xen 4.17's asm/mm.h lays them out, and a PDX hole squeezed out.
#include "inspect/xen_frame_table.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "support/guest_ram_image.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {

// type_info: L4 (4 << 61), PGT_pinned (1 << 59), PGT_validated (1 << 58),
// and the type count in the low bits.
constexpr std::uint64_t kValidatedL4 = 0x8400000000000000ull;
constexpr std::uint64_t kPinned = 0x0800000000000000ull;
constexpr std::uint64_t kValidatedL3 = 0x6400000000000000ull;
constexpr std::uint64_t kAllocated = 0x8000000000000000ull;  // PGC_allocated
constexpr std::uint64_t kFree = 0x0C00000000000000ull;       // PGC_state_free
constexpr std::uint64_t kOfflining = 0x0400000000000000ull;  // PGC_state_offlining
constexpr std::uint32_t kDom0 = 0x42, kDomU = 0x43;

class XenFrameTableTest : public ::testing::Test {
  protected:
    void SetUp() override {
        put(0x1000 + 8 * 261, 0x2000 | 0x3);  // idle_pg_table[261] → L3
        put(0x2000 + 8 * 384, 0x3000 | 0x3);  // L3[384] → L2
        put(0x3000 + 8 * 0, 0x4000 | 0x3);    // L2[0] → L1
        put(0x4000 + 8 * 0, 0x20000 | 0x3);   // PDX 0..127
        // L1[1] absent: PDX 128..255 have no memory (pdx_group_valid).
        put(0x4000 + 8 * 2, 0x30000 | 0x3);                      // PDX 256..383
        entry(5, kAllocated | 2, kValidatedL4 | 1, kDom0);       // listed
        entry(6, kAllocated | 1, kValidatedL4 | 0, kDom0);       // no type reference
        entry(7, kAllocated | 1, 0x8000000000000001ull, kDom0);  // not validated
        entry(8, kAllocated | 1, kValidatedL3 | 1, kDom0);       // an L3
        entry(9, kAllocated | 1, kValidatedL4 | 1, kDomU);       // another domain's
        entry(10, kFree, kValidatedL4 | 1, kDom0);               // free
        entry(11, 0, kValidatedL4 | 1, kDom0);                   // no reference
        // In use while dom0 has asked Xen to take it offline: still listed.
        entry(12, kAllocated | kOfflining | 1, kValidatedL4 | 1, kDom0);
        entry(261, kAllocated | 3, kValidatedL4 | kPinned | 2, kDom0);  // listed
        vars_.idle_pg_table = 0x1000;
        vars_.max_pdx = 300;
        // pdx.h with a hole of 4 bits at bit 8: pfn = (pdx & 0xff) |
        // ((pdx << 4) & ~0xfff).
        vars_.pfn_pdx_bottom_mask = 0xFF;
        vars_.pfn_top_mask = ~0xFFFull;
        vars_.pfn_pdx_hole_shift = 4;
        vars_.hardware_domain = inspect::kXenDirectMapStart + (std::uint64_t{kDom0} << 12);
    }
    void put(std::uint64_t at, std::uint64_t v) { image_.put(at, v); }
    void entry(std::uint64_t pdx, std::uint64_t count_info, std::uint64_t type_info,
               std::uint32_t owner) {
        const std::uint64_t at = pdx < 128 ? 0x20000 + pdx * 32 : 0x30000 + (pdx - 256) * 32;
        put(at + 8, count_info);
        put(at + 16, type_info);
        image_.put32(at + 24, owner);
    }
    const inspect::GuestMemory& ram() { return image_.memory(); }
    std::string error(const inspect::XenFrameTableVariables& v) {
        try {
            inspect::XenFrameTable::from_variables(v, ram());
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }
    testsupport::GuestRamImage image_{4 << 20};
    inspect::XenFrameTableVariables vars_;
};

}  // namespace

TEST_F(XenFrameTableTest, ListsDom0sInUseValidatedTopLevelTables) {
    const auto& memory = ram();
    const auto table = inspect::XenFrameTable::from_variables(vars_, memory);
    EXPECT_EQ(table.dom0_owner(), kDom0);
    EXPECT_EQ(table.frames(), 128u + (300u - 256u));  // the hole is not read
    // PDX 5 → frame 5; PDX 0x105 → 0x05 | 0x1000 = frame 0x1005.
    EXPECT_EQ(table.dom0_root_tables(memory),
              (std::vector<std::uint64_t>{0x5000, 0xC000, 0x1005000}));
}

// A frame's owner, by the inverse conversion: frame 0x1005 → PDX 0x05 |
// (0x1000 >> 4) = 0x105.
TEST_F(XenFrameTableTest, GivesAFramesOwner) {
    const auto& memory = ram();
    const auto table = inspect::XenFrameTable::from_variables(vars_, memory);
    EXPECT_EQ(table.owner_of(memory, 0x5123), kDom0);
    EXPECT_EQ(table.owner_of(memory, 0x9000), kDomU);
    EXPECT_EQ(table.owner_of(memory, 0x1005000), kDom0);
    EXPECT_EQ(table.owner_of(memory, 0x96000), std::nullopt);     // PDX 150: the unmapped stretch
    EXPECT_EQ(table.owner_of(memory, 0x80000000), std::nullopt);  // beyond max_pdx
}

TEST_F(XenFrameTableTest, ImplausibleVariablesAreRefused) {
    auto v = vars_;
    v.hardware_domain = 0;
    EXPECT_NE(error(v).find("no hardware domain"), std::string::npos) << error(v);
    v = vars_;
    v.hardware_domain = 0xffff82d040000000ull;  // Xen's image, not its directmap
    EXPECT_NE(error(v).find("not an address in its directmap"), std::string::npos);
    v = vars_;
    v.max_pdx = 0;
    EXPECT_NE(error(v).find("max_pdx (0)"), std::string::npos);
    v = vars_;
    v.idle_pg_table = 0x6000;  // an empty table
    EXPECT_EQ(error(v), "Xen's idle_pg_table maps no frame table at 0xffff82e000000000");
    v = vars_;
    v.max_pdx = 500;  // PDX 384.. lie in a page mapped beyond RAM
    put(0x4000 + 8 * 3, 0x800000000ull | 0x3);
    EXPECT_EQ(error(v),
              "Xen's frame table at 0xffff82e000003000 maps outside guest RAM (0x800000000)");
}
