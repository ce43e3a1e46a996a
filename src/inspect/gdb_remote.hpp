// The vCPU registers the inspector needs in the pause (CR0 and CR3 of
// every vCPU, and the monitor's register dump for the IDTR), read from
// QEMU's gdbstub with GDB's remote serial protocol.
// QEMU 7.2 offers no QMP command for them; its monitor's `info registers`
// costs about half a millisecond per call (each human-monitor command builds
// a monitor of its own and formats every register), while the gdbstub
// answers a register read in tens of microseconds. The read is 'g' (all
// core registers): QEMU 7.2 answers 'p' (one register) only to a debugger
// that fetched its target description first, one more round trip.
//
// QEMU stops the guest when a debugger connects and takes any byte sent
// while the guest runs as a request to stop, so the inspector connects only
// once the guest is paused, and closes before resuming it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/guest_page_tables.hpp"

namespace drtm::inspect {

// "$<payload>#<checksum>", the checksum being the payload's byte sum modulo
// 256 in two lower-case hex digits.
std::string gdb_packet(std::string_view payload);

// Takes replies out of the bytes QEMU sends: acknowledgements ('+') are
// skipped, each checksum verified, run-length encoding ("x*n") expanded,
// and stop notifications (QEMU sends one when the guest stops while a
// debugger is connected) dropped: none of the inspector's requests is
// answered by a reply starting with 'T', 'S', 'W' or 'X'.
class GdbReplyStream {
  public:
    void feed(std::string_view bytes) { buffer_.append(bytes); }
    // The next reply's payload once it is complete; throws
    // std::runtime_error on a checksum that does not match or bytes
    // outside a packet.
    std::optional<std::string> next();

  private:
    std::string buffer_;
};

// A register's value: 4 or 8 bytes as hex in the target's byte order
// (little-endian on x86). Throws on an error reply ("Enn") or anything
// that is not 8 or 16 hex digits.
std::uint64_t gdb_register_value(std::string_view hex);

// CR0 (whole, and its paging bit) and CR3 from QEMU's 'g' reply for an
// x86-64 vCPU. Its core registers (target/i386/gdbstub.c; the order of the
// target description QEMU 7.2 serves, i386-64bit.xml), in order: 16
// general registers and rip (8 bytes each), eflags and 6 segment selectors
// (4), the fs, gs and kernel-gs bases (8): 188 bytes; then cr0, cr2, cr3,
// cr4, cr8 and efer (8 each, in every CPU mode: QEMU widens them for a
// 64-bit target); then 8 x87 registers (10), 8 x87 control words (4), 16
// XMM registers (16) and MXCSR (4): 608 bytes in all. Throws on any other
// length.
VcpuPaging paging_from_registers(std::string_view g_reply);
inline constexpr std::size_t kGdbControlRegistersOffset = 188;
inline constexpr std::size_t kGdbCoreRegistersSize = 608;

class GdbRemote {
  public:
    // One connection attempt: the socket exists as long as the guest does.
    explicit GdbRemote(const std::filesystem::path& socket, int timeout_ms = 2000);
    ~GdbRemote();
    GdbRemote(const GdbRemote&) = delete;
    GdbRemote& operator=(const GdbRemote&) = delete;

    // Sends, in one write, the register reads of each vCPU (QEMU's
    // cpu-index); receive_paging() reads the answers, so QEMU prepares them
    // while the caller copies.
    void request_paging(std::span<const int> cpu_indexes);
    // In the order asked; throws std::runtime_error when QEMU does not
    // know a vCPU, answers with an error, or does not answer in time.
    std::vector<VcpuPaging> receive_paging();

    // A command for QEMU's monitor, sent after the register requests
    // (qRcmd: `monitor CMD` in gdb); receive_monitor(), after
    // receive_paging(), returns its output, which QEMU sends as 'O'
    // packets before its OK. Through the gdbstub's own monitor the
    // register dump costs QEMU 0.15-0.26 ms, against 0.35-0.4 ms through
    // QMP's human-monitor-command, which builds a monitor per command.
    void request_monitor(std::string_view command);
    std::string receive_monitor();

  private:
    std::string read_reply();
    int fd_ = -1;
    int timeout_ms_;
    GdbReplyStream replies_;
    std::vector<int> requested_;
};

}  // namespace drtm::inspect
