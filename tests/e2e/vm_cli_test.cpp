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

// The whole runtime inspection as a user runs it: an AK on the guest's TPM,
// the prediction for an intact guest (checked against PCR values computed
// without drtm by tests/support/inspection_pcrs.py), an inspection measured
// and quoted into evidence the verifier affirms; then one byte changed in
// the paused guest: named by symbol, measured into PCR 19, and refused by
// the same policy. The guest sees the inspector's launch in its own TPM and
// keeps running.
TEST(VmCli, InspectionIsMeasuredQuotedAndAppraised) {
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
    const std::string tcti = ready["tcti"];
    const std::string keys = (dir / "keys.json").string();
    auto made =
        run_command(drtm_cmd("attest keys --tcti " + quote(tcti) + " --out " + quote(keys)));
    ASSERT_EQ(made.status, 0) << made.err;

    // Golden values, computed without drtm.
    auto independent = run_command("python3 " + quote(DRTM_TEST_SUPPORT_DIR "/inspection_pcrs.py") +
                                   " " + quote(DRTM_BINARY) + " " + quote(vmlinuz));
    ASSERT_EQ(independent.status, 0) << independent.err;
    const auto expected = nlohmann::json::parse(independent.out);

    auto predicted = run_command(drtm_cmd("inspect --predict --json --kernel " + quote(vmlinuz)));
    ASSERT_EQ(predicted.status, 0) << predicted.err;
    const auto prediction = nlohmann::json::parse(predicted.out);
    for (const char* pcr : {"17", "18", "19"})
        EXPECT_EQ(prediction["pcrs"]["sha256"][pcr], expected[pcr]) << "PCR " << pcr;
    const fs::path policy = dir / "policy.json";
    drtm::binary::write_file_atomic(
        policy, std::string_view(nlohmann::json({{"format", "drtm-appraisal-policy"},
                                                 {"version", 1},
                                                 {"id", "inspected-linux"},
                                                 {"reference_values", {prediction}}})
                                     .dump()));

    const std::string inspect = drtm_cmd("inspect --vm " + quote((dir / "vm").string()) +
                                         " --kernel " + quote(vmlinuz) + " --keys " + quote(keys));
    auto appraise = [&](const std::string& evidence, const std::string& nonce) {
        return run_command(drtm_cmd("attest verify --evidence " + quote(evidence) + " --nonce " +
                                    nonce + " --keys " + quote(keys) + " --policy " +
                                    quote(policy.string())));
    };

    const std::string nonce1 = "0123456789abcdef0123456789abcdef";
    const std::string evidence1 = (dir / "clean.json").string();
    auto clean =
        run_command(inspect + " --json --nonce " + nonce1 + " --evidence " + quote(evidence1));
    ASSERT_EQ(clean.status, 0) << clean.out << clean.err;
    auto report = nlohmann::json::parse(clean.out);
    EXPECT_EQ(report["verdict"], "intact");
    EXPECT_EQ(report["text"]["bytes_unexplained"], 0);
    EXPECT_GT(report["text"]["bytes_differing_raw"].get<int>(), 0);
    EXPECT_LT(report["pause_ms"]["window"].get<double>(), 1000.0);
    EXPECT_TRUE(report["measurement"]["verified"].get<bool>());
    for (const char* pcr : {"17", "18", "19"})
        EXPECT_EQ(report["measurement"]["pcrs"]["sha256"][pcr], expected[pcr]) << "PCR " << pcr;
    auto affirmed = appraise(evidence1, nonce1);
    EXPECT_EQ(affirmed.status, 0) << affirmed.out << affirmed.err;
    EXPECT_NE(affirmed.out.find("status: affirming"), std::string::npos) << affirmed.out;
    auto log_verify =
        run_command(drtm_cmd("log verify " + quote((dir / "vm/inspection-eventlog.bin").string()) +
                             " --tcti " + quote(tcti)));
    EXPECT_EQ(log_verify.status, 0) << log_verify.out << log_verify.err;

    // The guest reads the inspector's launch from its own TPM.
    std::string pcr17 = expected["17"];
    for (auto& c : pcr17) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {
        seen = binary_console_has(dir / "vm/console.log", "PCR17 " + pcr17);
        if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(seen) << "the guest never read PCR 17 = " << pcr17;

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
    const std::string nonce2 = "fedcba9876543210fedcba9876543210";
    const std::string evidence2 = (dir / "modified.json").string();
    auto modified = run_command(inspect + " --nonce " + nonce2 + " --evidence " + quote(evidence2));
    EXPECT_EQ(modified.status, 2) << modified.out << modified.err;
    EXPECT_NE(modified.out.find("verdict: modified"), std::string::npos) << modified.out;
    EXPECT_NE(modified.out.find("differs at cmdline_find_option_bool+0x"), std::string::npos)
        << modified.out;
    EXPECT_NE(modified.out.find("PCR 17 sha256 " + expected["17"].get<std::string>()),
              std::string::npos)
        << modified.out;
    EXPECT_EQ(modified.out.find("PCR 19 sha256 " + expected["19"].get<std::string>()),
              std::string::npos)
        << "the changed byte must change PCR 19\n"
        << modified.out;
    auto refused = appraise(evidence2, nonce2);
    EXPECT_NE(refused.status, 0) << refused.out;
    EXPECT_NE(refused.out.find("FAILED reference_values"), std::string::npos) << refused.out;

    // The guest still runs: its counter moves on.
    const auto console = drtm::binary::read_text_file(dir / "vm/console.log").size();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_GT(drtm::binary::read_text_file(dir / "vm/console.log").size(), console);
    EXPECT_EQ(vm.terminate(), 0);
    fs::remove_all(dir);
}
