// The locks Linux rewrites its code under, as read from their owner words:
// held is an owner task address, flag bits 0-2 aside.
#include "inspect/code_patching_locks.hpp"

#include <gtest/gtest.h>

using namespace drtm::inspect;

TEST(CodePatchingLocks, AnOwnerIsHeldFlagBitsAreNot) {
    EXPECT_FALSE(mutex_held(0));
    EXPECT_FALSE(mutex_held(0x4));  // MUTEX_FLAG_PICKUP alone: no owner
    EXPECT_FALSE(mutex_held(0x7));
    EXPECT_TRUE(mutex_held(0xffff888003a1c000ull));
    EXPECT_TRUE(mutex_held(0xffff888003a1c001ull));  // with MUTEX_FLAG_WAITERS
}

TEST(CodePatchingLocks, HeldOnesAreNamedInOrder) {
    const MutexReading readings[] = {{"text_mutex", 0xffff888003a1c002ull},
                                     {"jump_label_mutex", 0},
                                     {"static_call_mutex", 0xffff888003a1d000ull}};
    EXPECT_EQ(held_mutexes(readings),
              (std::vector<std::string>{"text_mutex", "static_call_mutex"}));
    EXPECT_TRUE(held_mutexes(std::span<const MutexReading>(readings).subspan(1, 1)).empty());
}

TEST(CodePatchingLocks, EachLockSaysWhatItLeavesUnjudged) {
    EXPECT_EQ(not_judged_while_held("jump_label_mutex").rfind("jump labels against their keys", 0),
              0u);
    EXPECT_NE(not_judged_while_held("static_call_mutex").find("held static_call_mutex"),
              std::string::npos);
    EXPECT_NE(not_judged_while_held("text_mutex").find("only half-written"), std::string::npos);
    EXPECT_EQ(not_judged_while_held("console_mutex"), "");
}
