#include "launch/emulated_platform.hpp"

#include "launch/ek_provisioning.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "tpm/swtpm_control.hpp"

namespace fs = std::filesystem;

namespace drtm::launch {

namespace {

constexpr const char* kSocket = "tpm.sock";
constexpr const char* kPidFile = "swtpm.pid";
constexpr const char* kLogFile = "swtpm.log";

std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return {};
}

// Runs a program to completion without a shell; returns its exit status.
int run_program(const std::vector<std::string>& argv, const fs::path& log) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        FILE* f = std::fopen(log.c_str(), "a");
        if (f) {
            ::dup2(fileno(f), 1);
            ::dup2(fileno(f), 2);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        std::_Exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

pid_t read_pid(const fs::path& dir) {
    std::ifstream in(dir / kPidFile);
    long pid = 0;
    if (!(in >> pid) || pid <= 0) return 0;
    return static_cast<pid_t>(pid);
}

bool process_is_swtpm(pid_t pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    std::string argv0;
    std::getline(cmdline, argv0, '\0');
    return argv0.find("swtpm") != std::string::npos;
}

bool wait_gone(pid_t pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        // Reap it if it is our child (ScopedPlatform in the same process).
        ::waitpid(pid, nullptr, WNOHANG);
        if (!process_is_swtpm(pid)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !process_is_swtpm(pid);
}

std::string bank_list(const std::vector<crypto::HashAlg>& banks) {
    std::string out;
    for (auto b : banks) {
        if (!out.empty()) out += ',';
        out += crypto::alg_name(b);
    }
    return out;
}

}  // namespace

std::string EmulatedPlatform::tcti_for(const fs::path& state_dir) {
    return "swtpm:path=" + (fs::absolute(state_dir) / kSocket).string();
}

PlatformStatus EmulatedPlatform::status(const fs::path& state_dir) {
    PlatformStatus st;
    st.state_dir = fs::absolute(state_dir);
    st.pid = read_pid(state_dir);
    st.running = process_is_swtpm(st.pid);
    if (st.running) st.tcti = tcti_for(state_dir);
    return st;
}

std::string EmulatedPlatform::start(const fs::path& state_dir,
                                    const std::vector<crypto::HashAlg>& banks,
                                    const std::function<void(const std::string&)>& progress,
                                    const PlatformOptions& options) {
    auto say = [&](const std::string& s) {
        if (progress) progress(s);
    };
    const std::string swtpm = find_program("swtpm");
    if (swtpm.empty())
        throw std::runtime_error(
            "swtpm not found in PATH: install it with scripts/install-deps.sh (Debian package "
            "'swtpm')");
    fs::path dir = fs::absolute(state_dir);
    fs::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    if (auto st = status(dir); st.running)
        throw std::runtime_error(dir.string() +
                                 ": a platform is already running there (swtpm pid " +
                                 std::to_string(st.pid) + "); stop it first");
    const fs::path socket = dir / kSocket;
    if (socket.string().size() + 5 >= 108)
        throw std::runtime_error(dir.string() +
                                 ": path too long for a Unix socket; use a shorter --state");
    fs::remove(socket);
    fs::remove(fs::path(socket.string() + ".ctrl"));

    if (!fs::exists(dir / "tpm2-00.permall")) {
        const std::string setup = find_program("swtpm_setup");
        if (setup.empty())
            throw std::runtime_error(
                "swtpm_setup not found in PATH: install Debian package 'swtpm-tools'");
        say("manufacturing a TPM 2.0 with PCR banks " + bank_list(banks));
        int rc = run_program({setup, "--tpm2", "--tpmstate", dir.string(), "--pcr-banks",
                              bank_list(banks), "--overwrite"},
                             dir / "swtpm_setup.log");
        if (rc != 0)
            throw std::runtime_error("swtpm_setup failed (exit " + std::to_string(rc) + "); see " +
                                     (dir / "swtpm_setup.log").string());
    }

    say("starting swtpm in " + dir.string());
    // startup-clear: swtpm sends TPM2_Startup(CLEAR) itself, so the DRTM
    // sequence that follows is a dynamic launch and not an H-CRTM
    // (reference/swtpm.md §4.5).
    int rc =
        run_program({swtpm, "socket", "--tpm2", "--tpmstate", "dir=" + dir.string(), "--server",
                     "type=unixio,path=" + socket.string(), "--ctrl",
                     "type=unixio,path=" + socket.string() + ".ctrl", "--flags",
                     "not-need-init,startup-clear", "--pid", "file=" + (dir / kPidFile).string(),
                     "--log", "file=" + (dir / kLogFile).string() + ",level=1", "--daemon"},
                    dir / kLogFile);
    if (rc != 0)
        throw std::runtime_error("swtpm failed to start (exit " + std::to_string(rc) + "); see " +
                                 (dir / kLogFile).string());

    tpm::SwtpmControl control(tpm::ControlEndpoint{socket.string() + ".ctrl", "", 0}, 2000);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        try {
            control.get_capability();
            break;
        } catch (const tpm::ControlError& e) {
            if (std::chrono::steady_clock::now() > deadline) {
                stop(dir);
                throw std::runtime_error("swtpm did not become ready within 10 s: " +
                                         std::string(e.what()));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    if (options.ek_certificates) {
        try {
            if (provision_ek_certificates(dir, tcti_for(dir)))
                say("EK certificates issued by " + (dir / "ek-ca.pem").string());
        } catch (...) {
            stop(dir);
            throw;
        }
    }
    return tcti_for(dir);
}

bool EmulatedPlatform::stop(const fs::path& state_dir) {
    fs::path dir = fs::absolute(state_dir);
    pid_t pid = read_pid(dir);
    bool was_running = process_is_swtpm(pid);
    if (was_running) {
        try {
            tpm::SwtpmControl(tpm::ControlEndpoint{(dir / kSocket).string() + ".ctrl", "", 0}, 2000)
                .shutdown();
        } catch (const std::exception&) {
            // fall through to signals
        }
        if (!wait_gone(pid, std::chrono::seconds(3))) {
            ::kill(pid, SIGTERM);
            if (!wait_gone(pid, std::chrono::seconds(3))) {
                ::kill(pid, SIGKILL);
                wait_gone(pid, std::chrono::seconds(3));
            }
        }
    }
    std::error_code ec;
    fs::remove(dir / kPidFile, ec);
    fs::remove(dir / kSocket, ec);
    fs::remove(fs::path((dir / kSocket).string() + ".ctrl"), ec);
    return was_running;
}

ScopedPlatform::ScopedPlatform(const std::vector<crypto::HashAlg>& banks,
                               const PlatformOptions& options) {
    char tmpl[] = "/tmp/drtm-platform-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    dir_ = tmpl;
    try {
        tcti_ = EmulatedPlatform::start(dir_, banks, {}, options);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(dir_, ec);
        throw;
    }
}

ScopedPlatform::~ScopedPlatform() {
    try {
        EmulatedPlatform::stop(dir_);
    } catch (...) {
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

}  // namespace drtm::launch
