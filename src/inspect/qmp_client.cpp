#include "inspect/qmp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "inspect/unix_stream.hpp"

namespace drtm::inspect {

QmpClient::QmpClient(const std::filesystem::path& socket, int timeout_ms)
    : timeout_ms_(timeout_ms) {
    try {
        fd_ = connect_unix_stream(socket, timeout_ms);
    } catch (const std::runtime_error& e) {
        throw QmpError(std::string("QMP: ") + e.what());
    }
    try {
        auto greeting = read_message();
        if (!greeting.contains("QMP")) throw QmpError("not a QMP greeting from " + socket.string());
        execute("qmp_capabilities");
    } catch (...) {
        ::close(fd_);
        fd_ = -1;
        throw;
    }
}

QmpClient::~QmpClient() {
    if (fd_ >= 0) ::close(fd_);
}

nlohmann::json QmpClient::read_message() {
    for (;;) {
        auto newline = buffer_.find('\n');
        if (newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
            try {
                return nlohmann::json::parse(line);
            } catch (const nlohmann::json::exception& e) {
                fail(std::string("unreadable QMP message: ") + e.what());
            }
        }
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, timeout_ms_);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0)
            fail("QEMU did not answer on QMP within " + std::to_string(timeout_ms_) + " ms");
        char chunk[4096];
        ssize_t k = ::recv(fd_, chunk, sizeof chunk, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) fail("QEMU closed the QMP connection");
        buffer_.append(chunk, static_cast<std::size_t>(k));
    }
}

// A lost or unreadable reply leaves no way to match later replies to
// their commands: the connection is given up, and every later call says so.
void QmpClient::fail(const std::string& why) {
    broken_ = why;
    throw QmpError(why);
}

void QmpClient::send(const std::string& command, const nlohmann::json& arguments) {
    if (!broken_.empty())
        throw QmpError("QMP " + command + ": the connection failed earlier (" + broken_ + ")");
    nlohmann::json request = {{"execute", command}};
    if (!arguments.is_null()) request["arguments"] = arguments;
    try {
        send_all(fd_, request.dump() + "\n");
    } catch (const std::runtime_error& e) {
        throw QmpError(std::string("QMP ") + e.what());
    }
    ++pending_;
}

nlohmann::json QmpClient::receive(const std::string& command) {
    if (!broken_.empty())
        throw QmpError("QMP " + command + ": the connection failed earlier (" + broken_ + ")");
    for (;;) {
        auto m = read_message();
        if (m.contains("event")) {
            events_.push_back(std::move(m));
            continue;
        }
        if (!m.contains("error") && !m.contains("return")) continue;
        --pending_;
        if (m.contains("error"))
            throw QmpError("QMP " + command + ": " + m["error"].value("desc", m["error"].dump()));
        return m["return"];
    }
}

nlohmann::json QmpClient::execute(const std::string& command, const nlohmann::json& arguments) {
    while (pending_ > 0) {
        try {
            receive("(an earlier command)");
        } catch (const QmpError&) {
            if (!broken_.empty()) throw;  // an error reply only: go on
        }
    }
    send(command, arguments);
    return receive(command);
}

std::string QmpClient::status() {
    return execute("query-status").value("status", "");
}

std::vector<nlohmann::json> QmpClient::take_events() {
    std::vector<nlohmann::json> out;
    out.swap(events_);
    return out;
}

}  // namespace drtm::inspect
