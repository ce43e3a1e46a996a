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

    // The two halves of execute(), so the caller can work while QEMU runs
    // the command: send() returns at once; receive() waits for the reply to
    // the oldest command sent and not yet received. execute() first drops
    // the replies nobody received (a caller that failed in between).
    void send(const std::string& command, const nlohmann::json& arguments = nullptr);
    nlohmann::json receive(const std::string& command);

    void stop() { execute("stop"); }  // returns once the vCPUs have stopped
    void cont() { execute("cont"); }
    std::string status();  // "running", "paused", ...

    // Events received so far (and drained).
    std::vector<nlohmann::json> take_events();

  private:
    nlohmann::json read_message();
    [[noreturn]] void fail(const std::string& why);
    std::string broken_;  // why the connection was given up; empty while usable
    int fd_ = -1;
    int timeout_ms_;
    std::string buffer_;
    std::vector<nlohmann::json> events_;
    int pending_ = 0;  // commands sent whose reply is not yet read
};

}  // namespace drtm::inspect
