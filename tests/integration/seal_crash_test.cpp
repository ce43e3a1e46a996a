// "A crash at any point never leaves the user without a working sealed
// copy": each command that changes a store is killed (SIGKILL, through
// strace's fault injection) on entry to each of its system calls that
// change anything — every file create/write/fsync/rename/chmod and every
// TPM command sent — and afterwards the store must still unseal.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "binary/file_io.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/emulated_platform.hpp"
#include "support/run_command.hpp"

using namespace drtm;
namespace fs = std::filesystem;
using testsupport::drtm_cmd;
using testsupport::quote;
using testsupport::run_command;

namespace {
// System calls after which the world may differ. (openat counts every open;
// only those that create or write are kill points.)
const char* kTraced =
    "write,pwrite64,sendto,sendmsg,fsync,fdatasync,rename,renameat,renameat2,openat,unlink,"
    "unlinkat,mkdir,chmod,ftruncate";

struct KillPoint {
    std::string syscall;
    int ordinal;  // strace counts per system call and process
};

class SealCrashTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::system("command -v strace >/dev/null 2>&1") != 0) GTEST_SKIP() << "strace missing";
        dir_ = fs::temp_directory_path() / ("drtm-crash-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "vmlinuz",
                                  binary::ByteView(image_test::make_synthetic_bzimage()));
        binary::write_file_atomic(dir_ / "skl.bin", binary::ByteView(image::make_test_skl()));
        binary::write_file_atomic(dir_ / "old-secret", std::string_view("old secret"));
        binary::write_file_atomic(dir_ / "new-secret", std::string_view("new secret"));
        ASSERT_EQ(drtm("launch --tcti T --flavour amd --dce " + path("skl.bin") + " --kernel " +
                       path("vmlinuz") + " --cmdline console=ttyS0 --out " + path("launch"))
                      .status,
                  0);
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    std::string path(const std::string& name) const { return quote((dir_ / name).string()); }
    // Runs `drtm ARGS` with T standing for the platform's TCTI.
    testsupport::CommandResult drtm(std::string args, const std::string& prefix = "") {
        args =
            std::regex_replace(args, std::regex("--tcti T"), "--tcti " + quote(platform_.tcti()));
        // LeakSanitizer cannot run under ptrace; leaks are checked by the
        // runs without strace.
        return run_command("ASAN_OPTIONS=detect_leaks=0 " + prefix + drtm_cmd(args));
    }
    std::string seal_args(const char* secret) {
        return "seal --tcti T --dir " + path("store") + " --in " + path(secret) + " --key " +
               path("key.pem") + " --nv-index 0x01000d17";
    }
    std::string unseal_check() {
        auto r = drtm("unseal --no-advance --tcti T --dir " + path("store"));
        return r.status == 0 ? r.out : "REFUSED: " + r.err;
    }

    // Every point at which `args` changes something, from a complete run.
    std::vector<KillPoint> kill_points(const std::string& args) {
        auto trace = (dir_ / "trace").string();
        auto r = drtm(args, "strace -qq -o " + quote(trace) + " -e trace=" + kTraced + " ");
        EXPECT_EQ(r.status, 0) << r.err;
        std::ifstream in(trace);
        std::map<std::string, int> seen;
        std::vector<KillPoint> points;
        for (std::string line; std::getline(in, line);) {
            auto paren = line.find('(');
            if (paren == std::string::npos) continue;
            std::string name = line.substr(0, paren);
            int n = ++seen[name];
            bool changes = name != "openat" || line.find("O_CREAT") != std::string::npos ||
                           line.find("O_WRONLY") != std::string::npos ||
                           line.find("O_RDWR") != std::string::npos;
            if (changes) points.push_back({name, n});
        }
        std::cout << "[   INFO   ] " << args.substr(0, args.find(' ')) << ": " << points.size()
                  << " kill points\n";
        return points;
    }
    // Runs `args` and kills it on entry to `p`; fails unless it was killed.
    void run_killed(const std::string& args, const KillPoint& p) {
        auto r =
            drtm(args, "strace -qq -o /dev/null -e trace=" + p.syscall + " -e inject=" + p.syscall +
                           ":signal=KILL:when=" + std::to_string(p.ordinal) + " ");
        EXPECT_NE(r.status, 0) << "not killed at " << p.syscall << " #" << p.ordinal;
        // The next drtm to open the TPM flushes what the killed one left
        // loaded; do it now, so every run starts from the same TPM state and
        // the kill points of the complete run stay where they were.
        EXPECT_EQ(drtm("pcr read --tcti T --pcrs 17").status, 0);
    }
    void save_store(const char* name) {
        fs::copy(dir_ / "store", dir_ / name, fs::copy_options::recursive);
    }
    void restore_store(const char* name) {
        fs::remove_all(dir_ / "store");
        fs::copy(dir_ / name, dir_ / "store", fs::copy_options::recursive);
    }

    launch::ScopedPlatform platform_;
    fs::path dir_;
};
}  // namespace

TEST_F(SealCrashTest, FirstSealLeavesNothingOrAWorkingStore) {
    // A fresh NV index each run, so each one defines its counter as the
    // complete run did.
    auto first_seal = [&](int n) {
        char index[16];
        std::snprintf(index, sizeof index, "0x%08x", 0x01000e00 + n);
        return "seal --tcti T --dir " + path("store") + " --in " + path("old-secret") + " --key " +
               path("key.pem") + " --nv-index " + index;
    };
    // Create the owner key first: every run then finds it, as the complete run does.
    ASSERT_EQ(drtm("seal --tcti T --dir " + path("warm-up") + " --in " + path("old-secret") +
                   " --key " + path("key.pem") + " --nv-index 0x01000eff")
                  .status,
              0);
    auto points = kill_points(first_seal(0));
    ASSERT_GE(points.size(), 8u) << "the trace must see file and TPM writes";
    int n = 0;
    for (const auto& p : points) {
        fs::remove_all(dir_ / "store");
        run_killed(first_seal(++n), p);
        if (!fs::exists(dir_ / "store/sealed.json")) continue;  // nothing to lose yet
        EXPECT_EQ(unseal_check(), "old secret") << "killed at " << p.syscall << " #" << p.ordinal;
    }
}

TEST_F(SealCrashTest, ResealAuthorizeAndUnsealNeverLoseTheSecret) {
    ASSERT_EQ(drtm(seal_args("old-secret")).status, 0);
    save_store("sealed-old");

    // Sealing a new secret over the store: the old copy or the new one.
    const auto reseal = seal_args("new-secret");
    auto points = kill_points(reseal);
    for (const auto& p : points) {
        restore_store("sealed-old");
        run_killed(reseal, p);
        auto got = unseal_check();
        EXPECT_TRUE(got == "old secret" || got == "new secret")
            << "killed at " << p.syscall << " #" << p.ordinal << ": " << got;
    }

    // Approving the next launch: the current launch keeps unsealing.
    const auto approve = "authorize --tcti T --dir " + path("store") + " --key " + path("key.pem") +
                         " --flavour amd --dce " + path("skl.bin") + " --kernel " +
                         path("vmlinuz") + " --cmdline 'console=ttyS0 quiet'";
    restore_store("sealed-old");
    points = kill_points(approve);
    for (const auto& p : points) {
        restore_store("sealed-old");
        run_killed(approve, p);
        EXPECT_EQ(unseal_check(), "old secret") << "killed at " << p.syscall << " #" << p.ordinal;
    }

    // Unsealing with a new approval moves the counter: killed anywhere, the
    // approval it used still works.
    restore_store("sealed-old");
    const auto approve_current =
        "authorize --tcti T --dir " + path("store") + " --key " + path("key.pem") + " --current";
    const auto unseal = "unseal --tcti T --dir " + path("store") + " --out " + path("out");
    ASSERT_EQ(drtm(approve_current).status, 0);
    points = kill_points(unseal);
    ASSERT_FALSE(points.empty());
    for (const auto& p : points) {
        ASSERT_EQ(drtm(approve_current).status, 0);  // a fresh generation to move to
        run_killed(unseal, p);
        EXPECT_EQ(unseal_check(), "old secret") << "killed at " << p.syscall << " #" << p.ordinal;
    }
}
