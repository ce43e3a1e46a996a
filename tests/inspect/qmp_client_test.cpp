// The QMP client against a scripted server on a Unix socket: replies are
// matched to commands in order, events in between are kept, errors carry
// QEMU's description, and a reply nobody received (a caller that failed
// between send and receive) is not taken for the next command's.
#include "inspect/qmp_client.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "support/unix_listener.hpp"

using drtm::inspect::QmpClient;
using drtm::inspect::QmpError;

namespace {

// Answers each command line with the next scripted reply line(s), after
// the greeting and the capabilities handshake.
class ScriptedQmp {
  public:
    explicit ScriptedQmp(std::vector<std::string> replies)
        : listener_("qmp-test"), replies_(std::move(replies)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedQmp() {
        if (thread_.joinable()) thread_.join();
    }
    const std::filesystem::path& path() const { return listener_.path(); }
    // The commands received, once the client has closed the connection.
    const std::vector<std::string>& commands() {
        if (thread_.joinable()) thread_.join();
        return commands_;
    }

  private:
    void serve() {
        const int c = listener_.accept();
        if (c < 0) return;
        try {
            converse(c);
        } catch (const std::exception&) {
            // The client went away mid-reply: what it got is what the test checks.
        }
        ::close(c);
    }
    void converse(int c) {
        write(c, R"({"QMP": {"version": {}, "capabilities": []}})"
                 "\n");
        std::string buffer;
        std::size_t next = 0;
        bool handshake = true;
        char chunk[512];
        for (;;) {
            const ssize_t k = ::read(c, chunk, sizeof chunk);
            if (k <= 0) break;
            buffer.append(chunk, static_cast<std::size_t>(k));
            for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
                const auto line = buffer.substr(0, nl);
                buffer.erase(0, nl + 1);
                if (handshake) {
                    handshake = false;
                    write(c, "{\"return\": {}}\n");
                    continue;
                }
                commands_.push_back(nlohmann::json::parse(line)["execute"]);
                if (next < replies_.size()) write(c, replies_[next++] + "\n");
            }
        }
    }
    static void write(int fd, const std::string& s) {
        if (::send(fd, s.data(), s.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(s.size()))
            throw std::runtime_error("short write");
    }

    testsupport::UnixListener listener_;
    std::vector<std::string> replies_;
    std::vector<std::string> commands_;
    std::thread thread_;
};

}  // namespace

TEST(QmpClient, RepliesMatchCommandsAndEventsAreKept) {
    ScriptedQmp server({R"({"event": "STOP", "timestamp": {}})"
                        "\n"
                        R"({"return": {}})",
                        R"({"return": {"status": "paused", "running": false}})",
                        R"({"error": {"class": "GenericError", "desc": "no such device"}})"});
    {
        QmpClient qmp(server.path(), 2000);
        qmp.stop();
        EXPECT_EQ(qmp.status(), "paused");
        try {
            qmp.execute("device_del", {{"id", "x"}});
            FAIL() << "an error reply must throw";
        } catch (const QmpError& e) {
            EXPECT_NE(std::string(e.what()).find("no such device"), std::string::npos);
        }
        auto events = qmp.take_events();
        ASSERT_EQ(events.size(), 1u);
        EXPECT_EQ(events[0]["event"], "STOP");
    }
    EXPECT_EQ(server.commands(), (std::vector<std::string>{"stop", "query-status", "device_del"}));
}

TEST(QmpClient, PipelinedCommandsAndAnUnreadReplyAreKeptApart) {
    ScriptedQmp server({R"({"return": {}})", R"({"return": "CR3=0000000001234000\n"})",
                        R"({"return": "left unread"})", R"({"return": {}})"});
    {
        QmpClient qmp(server.path(), 2000);
        qmp.send("stop");
        qmp.send("human-monitor-command", {{"command-line", "info registers"}});
        EXPECT_EQ(qmp.receive("stop"), nlohmann::json::object());
        EXPECT_EQ(qmp.receive("human-monitor-command"), "CR3=0000000001234000\n");
        // A caller that failed after sending: its reply must not answer cont.
        qmp.send("query-status");
        EXPECT_EQ(qmp.execute("cont"), nlohmann::json::object());
    }
    EXPECT_EQ(server.commands(),
              (std::vector<std::string>{"stop", "human-monitor-command", "query-status", "cont"}));
}

// A reply that never comes leaves no way to match later replies: the
// client gives the connection up, and says so at every later call.
TEST(QmpClient, ALostReplyBreaksTheConnectionForGood) {
    ScriptedQmp server({R"({"return": {}})"});
    {
        QmpClient qmp(server.path(), 300);
        qmp.stop();
        EXPECT_THROW(qmp.cont(), QmpError);  // no answer within 300 ms
        try {
            qmp.status();
            FAIL() << "a broken connection must refuse commands";
        } catch (const QmpError& e) {
            EXPECT_NE(std::string(e.what()).find("failed earlier"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(server.commands(), (std::vector<std::string>{"stop", "cont"}));
}
