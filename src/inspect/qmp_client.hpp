// A QEMU Machine Protocol client over a Unix socket: the greeting, capability
// negotiation, and commands whose replies are matched to them (asynchronous
// events in between are kept for whoever asks). The inspector uses it to
// stop and resume the guest; each call's duration is what the pause window
// is made of.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace drtm::inspect {

class QmpError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class QmpClient {
  public:
    // Connects (retrying while QEMU creates the socket, up to timeout_ms),
    // reads the greeting and enters command mode.
    explicit QmpClient(const std::filesystem::path& socket, int timeout_ms = 10000);
    ~QmpClient();
    QmpClient(const QmpClient&) = delete;
    QmpClient& operator=(const QmpClient&) = delete;

    // Runs one command; returns its "return" value, throws QmpError with
    // QEMU's "error" description.
    nlohmann::json execute(const std::string& command, const nlohmann::json& arguments = nullptr);

    void stop() { execute("stop"); }  // returns once the vCPUs have stopped
    void cont() { execute("cont"); }
    std::string status();  // "running", "paused", ...

    // Events received so far (and drained).
    std::vector<nlohmann::json> take_events();

  private:
    nlohmann::json read_message();
    int fd_ = -1;
    int timeout_ms_;
    std::string buffer_;
    std::vector<nlohmann::json> events_;
};

}  // namespace drtm::inspect
