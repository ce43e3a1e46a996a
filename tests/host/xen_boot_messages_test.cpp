// Xen prints "SLAUNCH: reserving event log (%#lx - %#lx)" with an exclusive
// end (TrenchBoot/xen xen/arch/x86/slaunch.c); AEM's dump script reads the
// last parenthesised pair the same way.
#include <gtest/gtest.h>

#include "host/physical_memory_device.hpp"
#include "host/xen_boot_messages.hpp"

using namespace drtm::host;

TEST(XenBootMessages, TheReservedRangeIsStartAndExclusiveEnd) {
    auto r = find_reserved_log(
        "(XEN) Multiboot2 from GRUB\n"
        "(XEN) SLAUNCH: reserving event log (0x7fe9e000 - 0x7fea6000)\n"
        "(XEN) SLAUNCH: reserving TXT heap (0x7a000000 - 0x7a100000)\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->start, 0x7fe9e000u);
    EXPECT_EQ(r->end, 0x7fea6000u);
    EXPECT_EQ(r->line, "(XEN) SLAUNCH: reserving event log (0x7fe9e000 - 0x7fea6000)");
}

TEST(XenBootMessages, XensFirstMessageCountsAndCarriageReturnsAreDropped) {
    auto r = find_reserved_log(
        "SLAUNCH: reserving event log (0x1000 - 0x2000)\r\n"
        "SLAUNCH: reserving event log (0x3000 - 0x5000)\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->start, 0x1000u);
    EXPECT_EQ(r->end, 0x2000u);
    EXPECT_EQ(r->line.back(), ')');
}

TEST(XenBootMessages, AGuestCannotNameTheRange) {
    // A guest's debug-port output lands in the same ring, prefixed "(dN)".
    auto r = find_reserved_log(
        "(d3) SLAUNCH: reserving event log (0x100000 - 0x200000)\n"
        "(XEN) SLAUNCH: reserving event log (0x7fe9e000 - 0x7fea6000)\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->start, 0x7fe9e000u);
    EXPECT_FALSE(find_reserved_log("(d1) SLAUNCH: reserving event log (0x1000 - 0x2000)\n"));
}

TEST(XenBootMessages, OverlongLinesAndNumbersAreRefused) {
    EXPECT_THROW(find_reserved_log("(XEN) SLAUNCH: reserving event log (0x" +
                                   std::string(300000, '1') + " - 0x2)\n"),
                 std::invalid_argument);
    // 17 hex digits do not fit a physical address.
    EXPECT_THROW(
        find_reserved_log("(XEN) SLAUNCH: reserving event log (0x10000000000000000 - 0x2)\n"),
        std::invalid_argument);
}

TEST(XenBootMessages, NoMessageMeansNoRange) {
    EXPECT_FALSE(find_reserved_log("(XEN) Xen version 4.17.5\n(XEN) Command line: console=com1\n"));
    EXPECT_FALSE(find_reserved_log(""));
}

TEST(XenBootMessages, AMessageWithoutARangeOrWithAnEmptyOneIsAnError) {
    EXPECT_THROW(find_reserved_log("(XEN) SLAUNCH: reserving event log (garbage)\n"),
                 std::invalid_argument);
    // %#lx prints zero as "0": a zero start and end is an empty range.
    EXPECT_THROW(find_reserved_log("(XEN) SLAUNCH: reserving event log (0 - 0)\n"),
                 std::invalid_argument);
    EXPECT_THROW(find_reserved_log("(XEN) SLAUNCH: reserving event log (0x2000 - 0x1000)\n"),
                 std::invalid_argument);
}

TEST(XenBootMessages, UnderARootTheTranscriptFileIsRead) {
    SystemRoot root("/nonexistent-drtm-root");
    ASSERT_TRUE(root.xl_dmesg_file());
    EXPECT_EQ(*root.xl_dmesg_file(), "/nonexistent-drtm-root/xl-dmesg");
    EXPECT_THROW(read_xen_boot_messages(root), Unavailable);
    EXPECT_FALSE(runs_under_xen(root));
}
