// The VM's TPM multiplexer: sits between QEMU's tpm-emulator backend and
// swtpm, so the host can act as the CPU of a dynamic launch while the guest
// runs (reference/swtpm.md §7.4).
//
// QEMU connects to `qemu_socket` and speaks swtpm's control protocol to it
// (it passes its data channel with SET_DATAFD). The multiplexer keeps that
// data channel for itself and relays the guest's TPM commands over its own
// channel to swtpm, which it holds with the only control connection. The
// host reaches the same TPM through a swtpm-compatible socket pair
// (`host_socket`, `host_socket`.ctrl), so every drtm command and tpm2-tss's
// swtpm TCTI work unchanged against "swtpm:path=<host_socket>".
//
// What it enforces:
// - Each side keeps its own locality; the multiplexer switches swtpm's
//   (global) locality before each side's command. QEMU caches the locality
//   and never resends it, so without this the guest would inherit the
//   host's locality 2-4.
// - From HASH_START to HASH_END the guest's commands wait (any TPM command
//   inside the sequence silently aborts it), at most `hold_timeout_ms`.
// - A guest command whose tag is not 0x8001/0x8002 (for example swtpm's
//   in-band TPM2_SEND_COMMAND header, which would set swtpm's locality) is
//   answered TPM_RC_BAD_TAG and never reaches swtpm.
// - The state-blob capabilities are hidden from QEMU, so it never sends the
//   variable-length state commands (and blocks migration and savevm, which
//   would copy TPM state around an inspection).
// - The host may not INIT, STOP or SHUTDOWN the TPM: power cycles are the
//   guest's (through QEMU).
// - With hold_first_startup, the guest's first successful TPM2_Startup is
//   answered only when the host says so: the moment of a boot-time dynamic
//   launch, after the firmware started the TPM and before it measures.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace drtm::inspect {

struct TpmMultiplexerOptions {
    std::filesystem::path swtpm_control;  // swtpm's --ctrl unixio path (started without --server)
    std::filesystem::path qemu_socket;    // where QEMU's -chardev socket connects
    std::filesystem::path host_socket;    // host data socket; control is host_socket + ".ctrl"
    int swtpm_timeout_ms = 10000;
    int hold_timeout_ms = 5000;
    std::function<void(const std::string&)> log;  // notable events; none if empty
    // A boot-time dynamic launch: the guest firmware's first successful
    // TPM2_Startup is answered only once release_startup() is called, and
    // `startup_held` (if set) is called, from the multiplexer's thread,
    // when it is held. In between the host launches on the started TPM.
    bool hold_first_startup = false;
    std::function<void()> startup_held;
};

struct TpmMultiplexerStats {
    std::uint64_t guest_commands = 0;
    std::uint64_t host_commands = 0;
    std::uint64_t guest_rejected = 0;
    std::uint64_t locality_switches = 0;
};

class TpmMultiplexer {
  public:
    // Connects to swtpm, gives it the multiplexer's data channel and binds
    // the QEMU and host sockets (mode 0600). Throws std::runtime_error.
    explicit TpmMultiplexer(TpmMultiplexerOptions options);
    ~TpmMultiplexer();
    TpmMultiplexer(const TpmMultiplexer&) = delete;
    TpmMultiplexer& operator=(const TpmMultiplexer&) = delete;

    // Serves until stop() or QEMU's SHUTDOWN (after which swtpm has exited).
    // Throws when the link to swtpm breaks.
    void run();
    void stop();  // from any thread
    // Sends the held TPM2_Startup response to the guest (any thread).
    void release_startup();

    std::string host_tcti() const;
    TpmMultiplexerStats stats() const;

  private:
    struct Impl;
    Impl* impl_;
};

}  // namespace drtm::inspect
