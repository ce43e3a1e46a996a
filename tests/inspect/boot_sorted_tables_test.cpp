// Tables sorted at boot, on hand-built jump tables: the golden entries moved
// as the kernel's swap moves them (each self-relative field re-based by the
// distance moved), in the kernel's order (key, then code), with the init
// mark set exactly on init code, pass; a changed entry, a duplicate, a
// wrong init mark or an entry out of order is reported where it lies.
#include "inspect/boot_sorted_tables.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace drtm;
using inspect::BootSortedTable;

namespace {

constexpr std::uint64_t kTable = 0xffffffff82800000ull;
constexpr std::uint64_t kInitBegin = 0xffffffff83000000ull, kInitEnd = 0xffffffff83100000ull;
constexpr std::uint64_t kKey1 = 0xffffffff82a00000ull, kKey2 = 0xffffffff82a00010ull;

struct Entry {
    std::uint64_t code, target, key;
};

// struct jump_entry at index i: s32 code, s32 target, s64 key, each
// relative to its own field.
binary::Bytes table(std::initializer_list<Entry> entries) {
    binary::Bytes t(16 * entries.size());
    std::size_t i = 0;
    for (const auto& e : entries) {
        const std::uint64_t at = kTable + 16 * i;
        const auto code = static_cast<std::int32_t>(e.code - at);
        const auto target = static_cast<std::int32_t>(e.target - (at + 4));
        const auto key = static_cast<std::int64_t>(e.key - (at + 8));
        std::memcpy(t.data() + 16 * i, &code, 4);
        std::memcpy(t.data() + 16 * i + 4, &target, 4);
        std::memcpy(t.data() + 16 * i + 8, &key, 8);
        ++i;
    }
    return t;
}

BootSortedTable jump_table(std::size_t entries, BootSortedTable::InitMark mark =
                                                    BootSortedTable::InitMark::exactly_init_code) {
    return {"__start___jump_table",
            kTable,
            kTable + 16 * entries,
            16,
            {{0, 4}, {4, 4}, {8, 8}},
            {2, 0},
            mark,
            kInitBegin,
            kInitEnd};
}

// Built with the init bit set everywhere (x86's jump-label hack), in link
// order; D's code is init code. B is a likely branch (bit 0).
const Entry kA{0xffffffff81001000, 0xffffffff81001040, kKey1 | 2};
const Entry kB{0xffffffff81002000, 0xffffffff81002010, kKey2 | 2 | 1};
const Entry kC{0xffffffff81003000, 0xffffffff81003020, kKey1 | 2};
const Entry kD{kInitBegin + 0x10, kInitBegin + 0x30, kKey2 | 2};
const auto kGolden = table({kB, kA, kD, kC});

Entry unmarked(Entry e) {
    e.key &= ~2ull;
    return e;
}

std::vector<std::uint64_t> where(const std::vector<inspect::TableEntryProblem>& problems) {
    std::vector<std::uint64_t> out;
    for (const auto& p : problems) out.push_back(p.address);
    return out;
}

}  // namespace

TEST(BootSortedTables, TheTableAsTheBootLeftItPasses) {
    // Sorted by key, then code; the mark kept only on init code.
    const auto booted = table({unmarked(kA), unmarked(kC), unmarked(kB), kD});
    EXPECT_NE(kGolden, booted);
    EXPECT_TRUE(inspect::check_boot_sorted_table(kGolden, booted, jump_table(4)).empty());
}

TEST(BootSortedTables, AChangedEntryIsFoundWhereItLies) {
    Entry hooked = unmarked(kC);
    hooked.target = 0xffffffff81009999;
    auto p = inspect::check_boot_sorted_table(
        kGolden, table({unmarked(kA), hooked, unmarked(kB), kD}), jump_table(4));
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].address, kTable + 16);
    EXPECT_EQ(p[0].what, "an entry the golden table does not have");
    // A copy of one entry in place of another: one of the two is left over.
    p = inspect::check_boot_sorted_table(
        kGolden, table({unmarked(kA), unmarked(kA), unmarked(kB), kD}), jump_table(4));
    EXPECT_EQ(p.size(), 1u);
    // The build's own flag (bit 0) is not one the kernel changes at boot.
    Entry flipped = unmarked(kB);
    flipped.key ^= 1;
    EXPECT_EQ(inspect::check_boot_sorted_table(
                  kGolden, table({unmarked(kA), unmarked(kC), flipped, kD}), jump_table(4))
                  .size(),
              1u);
}

// A non-init entry marked init would never be patched again; init code
// left unmarked would be patched after it was freed.
TEST(BootSortedTables, InitMarksMustBeTheKernels) {
    auto p = inspect::check_boot_sorted_table(kGolden, table({kA, unmarked(kC), unmarked(kB), kD}),
                                              jump_table(4));
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].address, kTable);
    EXPECT_EQ(p[0].what, "marked as init code, which it is not");
    p = inspect::check_boot_sorted_table(
        kGolden, table({unmarked(kA), unmarked(kC), unmarked(kB), unmarked(kD)}), jump_table(4));
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].what, "init code not marked as such");
    // Static-call sites: the kernel only adds the mark, so a mark the build
    // set stays.
    EXPECT_TRUE(inspect::check_boot_sorted_table(
                    kGolden, table({kA, kC, kB, kD}),
                    jump_table(4, BootSortedTable::InitMark::added_for_init_code))
                    .empty());
}

// The kernel walks a key's entries from its first on: an entry moved out
// of its key's group is never patched.
TEST(BootSortedTables, AnEntryOutOfOrderIsFound) {
    const auto p = inspect::check_boot_sorted_table(
        kGolden, table({unmarked(kA), unmarked(kB), unmarked(kC), kD}), jump_table(4));
    // C, of the first key, after B of the second.
    EXPECT_EQ(where(p), std::vector<std::uint64_t>{kTable + 32});
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(p[0].what, "out of the order the table is sorted in at boot");
}

TEST(BootSortedTables, ATableIsTakenOnlyInsideTheWindow) {
    const image::KernelSymbols symbols({{kTable, 'D', "__start___jump_table"},
                                        {kTable + 48, 'D', "__stop___jump_table"},
                                        {kTable + 50, 'D', "__stop_odd"}});
    const auto shape = jump_table(0);
    EXPECT_TRUE(inspect::boot_sorted_table(symbols, "__start___jump_table", "__stop___jump_table",
                                           shape, kTable, kTable + 0x1000));
    EXPECT_FALSE(inspect::boot_sorted_table(symbols, "__start___jump_table", "__stop___jump_table",
                                            shape, kTable + 8, kTable + 0x1000));
    EXPECT_FALSE(inspect::boot_sorted_table(symbols, "__start___jump_table", "__stop_odd", shape,
                                            kTable, kTable + 0x1000));
    EXPECT_FALSE(inspect::boot_sorted_table(symbols, "__start___jump_table", "__missing", shape,
                                            kTable, kTable + 0x1000));
    auto bad = shape;
    bad.fields.push_back({12, 8});  // past the entry's end
    EXPECT_THROW(inspect::boot_sorted_table(symbols, "__start___jump_table", "__stop___jump_table",
                                            bad, kTable, kTable + 0x1000),
                 std::invalid_argument);
}
