// What the pause makes of each vCPU's registers: CR0 values written by
// hand from the bit layout in Intel's SDM (vol. 3, 2.5), not by the code
// under test.
#include "inspect/paused_copy.hpp"

#include <gtest/gtest.h>

// CR0.WP is bit 16 (Intel SDM vol. 3, 2.5).
TEST(PausedCopy, AVcpuWithPagingAndWriteProtectClearIsNamed) {
    using drtm::inspect::write_protect_problem;
    EXPECT_EQ(write_protect_problem(0, {.cr3 = 0x1000, .paging = true, .cr0 = 0x80050033}), "");
    EXPECT_EQ(write_protect_problem(3, {.cr3 = 0x1000, .paging = true, .cr0 = 0x80040033}),
              "vCPU 3: CR0.WP is clear: ring 0 writes through read-only mappings, the code "
              "compared included");
    // Not started (paging off): it runs no code through page tables.
    EXPECT_EQ(write_protect_problem(1, {.cr3 = 0, .paging = false, .cr0 = 0x60000010}), "");
}
