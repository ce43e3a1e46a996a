#include "inspect/pause_section.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstdint>

namespace drtm::inspect {

namespace {

// Above ordinary threads, below the kernel's own real-time work.
constexpr int kPausePriority = 10;

// The PM QoS request lives as long as the file is open: closing it (or the
// process ending, however it ends) withdraws it, so no setting outlives
// the pause.
int hold_zero_wakeup_latency() {
    const int fd = ::open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    const std::int32_t microseconds = 0;
    if (::write(fd, &microseconds, sizeof microseconds) != sizeof microseconds) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

PauseSection::PauseSection() {
    // Polling first: the write wakes every idle CPU to take the new bound,
    // which is done by the time the guest is stopped.
    latency_fd_ = hold_zero_wakeup_latency();
    sched_param param{};
    if (::pthread_getschedparam(::pthread_self(), &old_policy_, &param) == 0) {
        old_priority_ = param.sched_priority;
        sched_param rt{};
        rt.sched_priority = kPausePriority;
        realtime_ = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &rt) == 0;
    }
}

PauseSection::~PauseSection() {
    if (realtime_) {
        sched_param param{};
        param.sched_priority = old_priority_;
        ::pthread_setschedparam(::pthread_self(), old_policy_, &param);
    }
    if (latency_fd_ >= 0) ::close(latency_fd_);
}

}  // namespace drtm::inspect
