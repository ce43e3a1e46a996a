// The inspector's side of a guest's pause, from `stop` to `cont`, run as a
// critical section. On a real machine an integrity kernel owns the CPU
// while the hypervisor waits; on the emulated platform the host shares its
// cores with QEMU's threads, and every step of the pause is a wakeup of
// some thread (QEMU's monitor, its main loop, a vCPU, the inspector's
// copy threads). Two things bound how long those wakeups take:
//
//  - real-time priority (SCHED_FIFO) for the inspector's thread, and so
//    for the copy threads it starts, which ordinary threads cannot preempt;
//  - a CPU wakeup-latency bound of 0 µs (/dev/cpu_dma_latency, the
//    kernel's PM QoS interface): idle host CPUs poll instead of halting,
//    so a thread woken on one runs at once rather than after the CPU (on a
//    virtual machine, the hypervisor) wakes it. Held only for the pause:
//    polling burns the idle CPUs.
//
// Each needs privilege (CAP_SYS_NICE or RLIMIT_RTPRIO; write access to
// /dev/cpu_dma_latency, root by default); without it the pause runs as it
// is and the section says so.
#pragma once

namespace drtm::inspect {

class PauseSection {
  public:
    PauseSection();
    ~PauseSection();
    PauseSection(const PauseSection&) = delete;
    PauseSection& operator=(const PauseSection&) = delete;

    bool realtime() const { return realtime_; }
    bool cpus_polling() const { return latency_fd_ >= 0; }

  private:
    int old_policy_ = 0;
    int old_priority_ = 0;
    bool realtime_ = false;
    int latency_fd_ = -1;
};

}  // namespace drtm::inspect
