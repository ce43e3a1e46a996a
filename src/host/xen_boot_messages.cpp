#include "host/xen_boot_messages.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "binary/file_io.hpp"
#include "host/limits.hpp"
#include "host/physical_memory_device.hpp"

extern char** environ;

namespace drtm::host {

namespace {

constexpr std::string_view kMarker = "SLAUNCH: reserving event log";

// Runs `xl dmesg` and returns its standard output, at most `limit` bytes.
std::string run_xl_dmesg(std::size_t limit) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        throw Unavailable(std::string("xl dmesg: pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    char arg0[] = "xl", arg1[] = "dmesg";
    char* argv[] = {arg0, arg1, nullptr};
    pid_t pid = 0;
    const int spawned = ::posix_spawnp(&pid, "xl", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (spawned != 0) {
        ::close(out[0]);
        throw Unavailable(std::string("cannot run `xl dmesg`: ") + std::strerror(spawned) +
                          " (install the Xen tools in dom0)");
    }
    std::string text;
    char buf[65536];
    bool truncated = false;
    for (;;) {
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (text.size() + static_cast<std::size_t>(n) > limit) {
            truncated = true;
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (truncated)
        throw Unavailable("`xl dmesg` printed more than " + std::to_string(limit) +
                          " bytes, the limit");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Unavailable("`xl dmesg` failed (exit status " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                          "): it needs root in dom0 with xenstored running");
    return text;
}

}  // namespace

std::optional<ReservedLogRange> find_reserved_log(std::string_view text) {
    // Xen's own line is the first one, prefixed "(XEN)" in `xl dmesg` (or bare
    // in a console capture). Guests can print into the same ring ("(d3) …"
    // through the debug port): such lines must never name the range.
    std::size_t at = 0;
    while ((at = text.find(kMarker, at)) != std::string_view::npos) {
        std::size_t line_start = text.rfind('\n', at);
        line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
        std::size_t line_end = text.find('\n', at);
        if (line_end == std::string_view::npos) line_end = text.size();
        const std::string_view before = text.substr(line_start, at - line_start);
        const bool from_xen = before.find_first_not_of(" \t") == std::string_view::npos ||
                              before.substr(0, 5) == "(XEN)";
        if (!from_xen) {
            at = line_end;
            continue;
        }
        // Xen's line is short; a long one is not Xen's and is not given to the
        // regex (whose matching recurses per character).
        constexpr std::size_t kMaxLine = 256;
        std::string line(text.substr(line_start, std::min(line_end - line_start, kMaxLine + 1)));
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > kMaxLine)
            throw std::invalid_argument(
                "the \"SLAUNCH: reserving event log\" line is longer than " +
                std::to_string(kMaxLine) + " characters");
        static const std::regex range(
            R"(SLAUNCH: reserving event log \(\s*(?:0x)?([0-9a-fA-F]{1,16})\s*-\s*(?:0x)?([0-9a-fA-F]{1,16})\s*\))");
        std::smatch m;
        if (!std::regex_search(line, m, range))
            throw std::invalid_argument("cannot read the address range in \"" + line + "\"");
        ReservedLogRange r;
        r.start = std::stoull(m[1].str(), nullptr, 16);
        r.end = std::stoull(m[2].str(), nullptr, 16);
        if (r.end <= r.start)
            throw std::invalid_argument("the event log range in \"" + line + "\" is empty");
        r.line = line;
        return r;
    }
    return std::nullopt;
}

bool runs_under_xen(const SystemRoot& root) {
    std::ifstream in(root.path("/sys/hypervisor/type"));
    std::string type;
    return in && (in >> type) && type == "xen";
}

BootMessages read_xen_boot_messages(const SystemRoot& root) {
    if (auto file = root.xl_dmesg_file()) {
        std::error_code ec;
        if (!std::filesystem::exists(*file, ec))
            throw Unavailable("no hypervisor boot messages at " + file->string());
        auto bytes = binary::read_file(*file, kMaxBootMessageBytes, "the xl dmesg transcript");
        return {std::string(bytes.begin(), bytes.end()), file->string()};
    }
    if (!runs_under_xen(root))
        throw Unavailable("not running under Xen (/sys/hypervisor/type is not \"xen\")");
    return {run_xl_dmesg(kMaxBootMessageBytes), "xl dmesg"};
}

}  // namespace drtm::host
