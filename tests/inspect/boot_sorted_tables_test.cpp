// Tables sorted at boot, on hand-built jump tables: the golden entries moved
// as the kernel's swap moves them (each self-relative field re-based by the
// distance moved), and an init mark set, still match one for one; an entry
// whose target changed, or a duplicate in place of another, does not.
#include "inspect/boot_sorted_tables.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace drtm;
using inspect::BootSortedTable;

namespace {

constexpr std::uint64_t kTable = 0xffffffff82800000ull;

struct Entry {
    std::uint64_t code, target, key;
};

// struct jump_entry at `at`: s32 code, s32 target, s64 key, each relative
// to its own field.
void put(binary::Bytes& table, std::size_t index, const Entry& e) {
    const std::uint64_t at = kTable + 16 * index;
    const auto code = static_cast<std::int32_t>(e.code - at);
    const auto target = static_cast<std::int32_t>(e.target - (at + 4));
    const auto key = static_cast<std::int64_t>(e.key - (at + 8));
    std::memcpy(table.data() + 16 * index, &code, 4);
    std::memcpy(table.data() + 16 * index + 4, &target, 4);
    std::memcpy(table.data() + 16 * index + 8, &key, 8);
}

const BootSortedTable kJumpTable{"__start___jump_table",   kTable, kTable + 48, 16,
                                 {{0, 4}, {4, 4}, {8, 8}}, 2};

const Entry kA{0xffffffff81001000, 0xffffffff81001040, 0xffffffff82a00000};
const Entry kB{0xffffffff81002000, 0xffffffff81002010, 0xffffffff82a00010 | 1};
const Entry kC{0xffffffff81003000, 0xffffffff81003020, 0xffffffff82a00000};

binary::Bytes table_of(const Entry& first, const Entry& second, const Entry& third) {
    binary::Bytes t(48);
    put(t, 0, first);
    put(t, 1, second);
    put(t, 2, third);
    return t;
}

}  // namespace

TEST(BootSortedTables, ASortedTableWithInitMarksMatches) {
    const auto golden = table_of(kA, kB, kC);
    Entry b_in_init = kB;
    b_in_init.key |= 2;
    const auto sorted = table_of(kC, kA, b_in_init);
    EXPECT_NE(golden, sorted);
    EXPECT_TRUE(inspect::unmatched_entries(golden, sorted, kJumpTable).empty());
}

TEST(BootSortedTables, AChangedEntryIsFoundWhereItLies) {
    const auto golden = table_of(kA, kB, kC);
    Entry hooked = kA;
    hooked.target = 0xffffffff81009999;
    auto u = inspect::unmatched_entries(golden, table_of(kC, hooked, kB), kJumpTable);
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0], kTable + 16);
    // A copy of one entry in place of another: one of the two is left over.
    u = inspect::unmatched_entries(golden, table_of(kA, kA, kC), kJumpTable);
    EXPECT_EQ(u.size(), 1u);
    // The build's own flag (bit 0) is not one the kernel sets at boot.
    Entry flipped = kA;
    flipped.key ^= 1;
    EXPECT_EQ(inspect::unmatched_entries(golden, table_of(flipped, kB, kC), kJumpTable).size(), 1u);
}

TEST(BootSortedTables, ATableIsTakenOnlyInsideTheWindow) {
    const image::KernelSymbols symbols({{kTable, 'D', "__start___jump_table"},
                                        {kTable + 48, 'D', "__stop___jump_table"},
                                        {kTable + 50, 'D', "__stop_odd"}});
    EXPECT_TRUE(inspect::boot_sorted_table(symbols, "__start___jump_table", "__stop___jump_table",
                                           16, {{0, 4}}, 2, kTable, kTable + 0x1000));
    EXPECT_FALSE(inspect::boot_sorted_table(symbols, "__start___jump_table", "__stop___jump_table",
                                            16, {{0, 4}}, 2, kTable + 8, kTable + 0x1000));
    EXPECT_FALSE(inspect::boot_sorted_table(symbols, "__start___jump_table", "__stop_odd", 16,
                                            {{0, 4}}, 2, kTable, kTable + 0x1000));
    EXPECT_FALSE(inspect::boot_sorted_table(symbols, "__start___jump_table", "__missing", 16,
                                            {{0, 4}}, 2, kTable, kTable + 0x1000));
}
