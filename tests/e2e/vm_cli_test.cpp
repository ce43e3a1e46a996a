// `drtm vm run` as a user runs it: a Debian-kernel guest in the background,
// then `drtm launch` of that kernel onto the running guest's TPM through the
// TCTI `vm run` printed, `drtm log verify` against it, and the guest itself
// reading the launched PCR 17 from its own TPM. SIGTERM stops everything and
// leaves nothing behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "binary/file_io.hpp"
#include "inspect/linux_inspector.hpp"
#include "inspect/qmp_client.hpp"
#include "support/run_command.hpp"

namespace fs = std::filesystem;
using testsupport::quote;
using testsupport::run_command;

namespace {

const fs::path kArtifacts = DRTM_ARTIFACTS_DIR;

bool binary_console_has(const fs::path& console, const std::string& text) {
    return drtm::binary::read_text_file(console).find(text) != std::string::npos;
}

std::string drtm_cmd(const std::string& args) {
    return std::string(DRTM_BINARY) + " " + args;
}

// A background `drtm vm run --json`; its first stdout line is the ready line.
class BackgroundVm {
  public:
    explicit BackgroundVm(const std::vector<std::string>& args) {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out[1], 1);
            ::close(out[0]);
            std::vector<char*> argv;
            for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        out_ = out[0];
    }
    ~BackgroundVm() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(out_);
    }
    std::string ready_line(int timeout_ms) {
        std::string line;
        char c;
        while (line.empty() || line.back() != '\n') {
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, timeout_ms) <= 0) return "";
            if (::read(out_, &c, 1) != 1) return "";
            line += c;
        }
        return line;
    }
    int terminate() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

  private:
    pid_t pid_ = -1;
    int out_ = -1;
};

}  // namespace

TEST(VmCli, ALaunchOntoARunningGuestIsVerifiedAndSeenByTheGuest) {
    const fs::path dir = fs::temp_directory_path() / ("drtm-vm-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    BackgroundVm vm({DRTM_BINARY, "vm", "run", "--dir", (dir / "vm").string(), "--kernel",
                     (kArtifacts / "vmlinuz").string(), "--initrd",
                     (kArtifacts / "guest-initrd.img").string(), "--wait-for", "GUEST-READY",
                     "--json"});
    auto line = vm.ready_line(120000);
    ASSERT_FALSE(line.empty()) << "drtm vm run printed no ready line";
    auto ready = nlohmann::json::parse(line);
    const std::string tcti = ready["tcti"];
    const fs::path ram = ready["ram_file"].get<std::string>();
    EXPECT_TRUE(fs::exists(ram));

    ASSERT_EQ(run_command(drtm_cmd("image make-test-dce --flavour amd --out " +
                                   quote((dir / "skl.bin").string())))
                  .status,
              0);
    auto launch = run_command(drtm_cmd("launch --tcti " + quote(tcti) + " --flavour amd --dce " +
                                       quote((dir / "skl.bin").string()) + " --kernel " +
                                       quote((kArtifacts / "vmlinuz").string()) + " --out " +
                                       quote((dir / "launch").string())));
    ASSERT_EQ(launch.status, 0) << launch.err;
    auto verify = run_command(drtm_cmd(
        "log verify " + quote((dir / "launch/eventlog.bin").string()) + " --tcti " + quote(tcti)));
    EXPECT_EQ(verify.status, 0) << verify.out << verify.err;

    // The value the log replays to, as the guest must print it.
    auto replay =
        run_command(drtm_cmd("log replay --json " + quote((dir / "launch/eventlog.bin").string())));
    ASSERT_EQ(replay.status, 0);
    std::string pcr17 = nlohmann::json::parse(replay.out)["pcrs"]["sha256"]["17"];
    for (auto& c : pcr17) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {
        seen = binary_console_has(dir / "vm/console.log", "PCR17 " + pcr17);
        if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(seen) << "the guest never read PCR 17 = " << pcr17;

    EXPECT_EQ(vm.terminate(), 0);
    EXPECT_FALSE(fs::exists(ram));
    EXPECT_FALSE(fs::exists(dir / "vm/tpm.sock"));
    fs::remove_all(dir);
}

TEST(VmCli, InspectFindsAChangedKernelByteAndNamesIt) {
    const fs::path dir =
        fs::temp_directory_path() / ("drtm-vm-inspect-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string vmlinuz = (kArtifacts / "vmlinuz").string();
    BackgroundVm vm({DRTM_BINARY, "vm", "run", "--dir", (dir / "vm").string(), "--kernel", vmlinuz,
                     "--initrd", (kArtifacts / "guest-initrd.img").string(), "--wait-for",
                     "GUEST-READY", "--json"});
    auto line = vm.ready_line(120000);
    ASSERT_FALSE(line.empty());
    auto ready = nlohmann::json::parse(line);

    const std::string inspect =
        drtm_cmd("inspect --vm " + quote((dir / "vm").string()) + " --kernel " + quote(vmlinuz));
    auto clean = run_command(inspect + " --json");
    ASSERT_EQ(clean.status, 0) << clean.out << clean.err;
    auto report = nlohmann::json::parse(clean.out);
    EXPECT_EQ(report["verdict"], "intact");
    EXPECT_EQ(report["text"]["bytes_unexplained"], 0);
    EXPECT_GT(report["text"]["bytes_differing_raw"].get<int>(), 0);
    EXPECT_LT(report["pause_ms"]["window"].get<double>(), 1000.0);

    // Change one byte of a function the running guest no longer calls
    // (early command-line parsing), outside every patch site, while the
    // guest is paused over the inspectors' QMP monitor.
    auto golden = drtm::inspect::LinuxGolden::from_bzimage(drtm::binary::read_file(vmlinuz));
    std::uint64_t target = golden->symbols().require("cmdline_find_option_bool") + 4;
    for (bool covered = true; covered;) {
        covered = false;
        for (const auto& s : golden->sites())
            if (target >= s.address && target < s.address + s.length) covered = true;
        if (covered) ++target;
    }
    {
        drtm::inspect::QmpClient qmp(ready["qmp"].get<std::string>());
        qmp.stop();
        const int fd = ::open(ready["ram_file"].get<std::string>().c_str(), O_RDWR | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        const off_t offset = static_cast<off_t>(target - 0xffffffff80000000ull);
        std::uint8_t b = 0;
        ASSERT_EQ(::pread(fd, &b, 1, offset), 1);
        b ^= 0xFF;
        ASSERT_EQ(::pwrite(fd, &b, 1, offset), 1);
        ::close(fd);
        qmp.cont();
    }
    auto modified = run_command(inspect);
    EXPECT_EQ(modified.status, 2) << modified.out << modified.err;
    EXPECT_NE(modified.out.find("verdict: modified"), std::string::npos) << modified.out;
    EXPECT_NE(modified.out.find("differs at cmdline_find_option_bool+0x"), std::string::npos)
        << modified.out;
    // The guest still runs: its counter moves on.
    const auto console = drtm::binary::read_text_file(dir / "vm/console.log").size();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_GT(drtm::binary::read_text_file(dir / "vm/console.log").size(), console);
    EXPECT_EQ(vm.terminate(), 0);
    fs::remove_all(dir);
}
