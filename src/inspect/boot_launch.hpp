// The boot-time dynamic launch of a VM: the guest starts with PCR 17-22 of
// a launch of its own kernel (or Xen), and reads the DRTM log from QEMU's
// fw_cfg as `opt/org.trenchboot/drtm/eventlog`.
//
// QEMU reads fw_cfg files once, when it starts, so the log is predicted
// first: the launch's stages on software PCRs, written as the launch
// writes it. The TPM multiplexer then holds the guest firmware's first
// successful TPM2_Startup (the TPM is started; nothing is measured yet).
// This launcher pauses the guest (QMP stop), runs the real launch on the
// guest's TPM through the multiplexer's host side, and requires its log to
// be byte-identical to the predicted one and to replay to the PCRs. Only
// then does it release the Startup response and resume the guest.
// Otherwise the guest stays paused with its TPM unanswered, and error()
// says why: a guest must not run as if launched when it was not.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "binary/bytes.hpp"
#include "launch/launch_request.hpp"

namespace drtm::inspect {

inline constexpr const char* kDrtmLogFwCfgName = "opt/org.trenchboot/drtm/eventlog";

class BootLaunch {
  public:
    // Predicts the launch of `request` (its tcti is ignored) and writes the
    // log to `log_file` atomically. Throws what prediction throws.
    BootLaunch(launch::LaunchRequest request, std::filesystem::path log_file);
    ~BootLaunch();  // cancel() and join
    BootLaunch(const BootLaunch&) = delete;
    BootLaunch& operator=(const BootLaunch&) = delete;

    // QEMU's argument: -fw_cfg name=opt/org.trenchboot/drtm/eventlog,file=...
    std::string fw_cfg_argument() const;
    const binary::Bytes& predicted_log() const { return predicted_log_; }

    // From the multiplexer's thread: the guest's Startup is held.
    void startup_held();
    // Starts the launcher thread: it waits (at most `wait_ms`) for the held
    // Startup, then pauses the guest over QMP at `qmp_socket`, launches on
    // `tcti`, checks the log, calls `release` and resumes the guest.
    void start(std::string tcti, std::filesystem::path qmp_socket, std::function<void()> release,
               int wait_ms = 120000);
    void cancel();  // the VM is going away: stop waiting

    // Blocks until the launch is done (true) or has failed or timed out.
    bool wait(int timeout_ms);
    bool failed() const;
    std::string error() const;
    // The launch's summary (launch::LaunchResult::summary) once done.
    nlohmann::json summary() const;

  private:
    void run(std::string tcti, std::filesystem::path qmp_socket, std::function<void()> release,
             int wait_ms);

    launch::LaunchRequest request_;
    std::filesystem::path log_file_;
    binary::Bytes predicted_log_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    bool held_ = false, cancelled_ = false, done_ = false;
    std::string error_;
    nlohmann::json summary_;
    std::thread thread_;
};

}  // namespace drtm::inspect
