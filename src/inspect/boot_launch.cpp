#include "inspect/boot_launch.hpp"

#include <chrono>
#include <memory>

#include "binary/file_io.hpp"
#include "inspect/qmp_client.hpp"
#include "launch/launcher.hpp"

namespace drtm::inspect {

BootLaunch::BootLaunch(launch::LaunchRequest request, std::filesystem::path log_file)
    : request_(std::move(request)), log_file_(std::move(log_file)) {
    request_.progress = nullptr;
    predicted_log_ = launch::simulate_launch(request_).eventlog;
    binary::write_file_atomic(log_file_, binary::ByteView(predicted_log_));
}

BootLaunch::~BootLaunch() {
    cancel();
    if (thread_.joinable()) thread_.join();
}

std::string BootLaunch::fw_cfg_argument() const {
    const auto path = log_file_.string();
    // QEMU's option syntax: a comma would end the value.
    if (path.find(',') != std::string::npos)
        throw std::runtime_error("the DRTM log's path cannot hold a comma (QEMU's -fw_cfg): " +
                                 path);
    return std::string("name=") + kDrtmLogFwCfgName + ",file=" + path;
}

void BootLaunch::startup_held() {
    std::lock_guard lock(mutex_);
    held_ = true;
    changed_.notify_all();
}

void BootLaunch::cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    changed_.notify_all();
}

void BootLaunch::start(std::string tcti, std::filesystem::path qmp_socket,
                       std::function<void()> release, int wait_ms) {
    thread_ = std::thread([this, tcti = std::move(tcti), qmp_socket = std::move(qmp_socket),
                           release = std::move(release), wait_ms]() mutable {
        run(std::move(tcti), std::move(qmp_socket), std::move(release), wait_ms);
    });
}

void BootLaunch::run(std::string tcti, std::filesystem::path qmp_socket,
                     std::function<void()> release, int wait_ms) {
    auto fail = [&](const std::string& why) {
        std::lock_guard lock(mutex_);
        error_ = why;
        changed_.notify_all();
    };
    // Connected before the Startup is held, so the pause that follows is
    // one round trip: the firmware's TPM timeouts run until then.
    std::unique_ptr<QmpClient> qmp;
    try {
        qmp = std::make_unique<QmpClient>(qmp_socket);
    } catch (const std::exception& e) {
        return fail(std::string("the boot-time launch cannot reach QEMU: ") + e.what());
    }
    {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                               [&] { return held_ || cancelled_; })) {
            lock.unlock();
            fail("the guest's firmware did not start the TPM within " +
                 std::to_string(wait_ms / 1000) + " s");
            return;
        }
        if (cancelled_) return;
    }
    try {
        // Paused: the firmware's TPM timeouts do not run while the host
        // launches (the guest's clock stops with it).
        qmp->stop();
        launch::LaunchRequest request = request_;
        request.tcti = tcti;
        auto result = launch::perform_launch(request);
        if (!result.verified)
            return fail("the boot-time launch's log does not replay to the guest TPM's PCRs");
        if (result.eventlog != predicted_log_)
            return fail(
                "the boot-time launch wrote another log than the one predicted for the "
                "guest's fw_cfg (" +
                log_file_.string() + ")");
        release();
        qmp->cont();
        std::lock_guard lock(mutex_);
        summary_ = std::move(result.summary);
        done_ = true;
        changed_.notify_all();
    } catch (const std::exception& e) {
        fail(std::string("the boot-time launch failed: ") + e.what());
    }
}

bool BootLaunch::wait(int timeout_ms) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return done_ || !error_.empty() || cancelled_; });
    return done_;
}

bool BootLaunch::failed() const {
    std::lock_guard lock(mutex_);
    return !error_.empty();
}

std::string BootLaunch::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

nlohmann::json BootLaunch::summary() const {
    std::lock_guard lock(mutex_);
    return summary_;
}

}  // namespace drtm::inspect
