// The pause's critical section: what it holds while it lives, and that
// nothing of it outlives it. Read back through the kernel's own interfaces
// (sched_getscheduler, /dev/cpu_dma_latency's aggregate bound), not
// through the class.
#include "inspect/pause_section.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <thread>

namespace {

using drtm::inspect::PauseSection;

// The system-wide wakeup-latency bound every PM QoS request is folded into.
std::optional<std::int32_t> current_latency_bound() {
    const int fd = ::open("/dev/cpu_dma_latency", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::int32_t value = -1;
    const auto n = ::read(fd, &value, sizeof value);
    ::close(fd);
    if (n != sizeof value) return std::nullopt;
    return value;
}

TEST(PauseSection, HoldsTheCpusAtZeroWakeupLatencyOnlyWhileItLives) {
    const auto before = current_latency_bound();
    if (!before) GTEST_SKIP() << "/dev/cpu_dma_latency is not readable here";
    if (*before == 0) GTEST_SKIP() << "another process already holds the bound at 0";
    {
        PauseSection section;
        if (!section.cpus_polling())
            GTEST_SKIP() << "no write access to /dev/cpu_dma_latency (needs root)";
        EXPECT_EQ(current_latency_bound(), 0);
    }
    EXPECT_EQ(current_latency_bound(), before);
}

TEST(PauseSection, RunsItsThreadAtRealTimePriorityAndGivesItBack) {
    const int policy_before = ::sched_getscheduler(0);
    {
        PauseSection section;
        if (!section.realtime()) GTEST_SKIP() << "no CAP_SYS_NICE or RLIMIT_RTPRIO here";
        EXPECT_EQ(::sched_getscheduler(0), SCHED_FIFO);
        sched_param p{};
        ASSERT_EQ(::sched_getparam(0, &p), 0);
        EXPECT_GT(p.sched_priority, 0);
        // Threads started in the section (the copy's) inherit it.
        int child_policy = -1;
        std::thread([&] { child_policy = ::sched_getscheduler(0); }).join();
        EXPECT_EQ(child_policy, SCHED_FIFO);
    }
    EXPECT_EQ(::sched_getscheduler(0), policy_before);
}

TEST(PauseSection, SaysWhetherItRunsAtRealTimePriority) {
    // Whatever the privileges, what the section reports is the kernel's view.
    PauseSection section;
    EXPECT_EQ(section.realtime(), ::sched_getscheduler(0) == SCHED_FIFO);
}

}  // namespace
