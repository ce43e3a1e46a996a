// A real QEMU guest (Debian's kernel, booted through its PVH entry from the
// ELF drtm extracts, with the inspection initrd of scripts/fetch-artifacts.sh)
// on the TPM multiplexer: the guest reads its own TPM while the host
// performs a DRTM launch on it, and QMP stops and resumes the guest. The
// expected PCR value is computed with OpenSSL.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "binary/file_io.hpp"
#include "image/vmlinux.hpp"
#include "inspect/virtual_machine.hpp"
#include "support/debian_guest.hpp"
#include "support/openssl_ref.hpp"
#include "tpm/swtpm_control.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {

const fs::path kArtifacts = DRTM_ARTIFACTS_DIR;

// The highest "TICK n" on the console and the PCR 17 it printed.
std::pair<int, std::string> last_tick(const std::string& console) {
    std::regex tick(R"(TICK (\d+) PCR17 (\S+))");
    std::pair<int, std::string> last{0, ""};
    for (auto it = std::sregex_iterator(console.begin(), console.end(), tick);
         it != std::sregex_iterator(); ++it)
        last = {std::stoi((*it)[1]), (*it)[2]};
    return last;
}

std::string upper_hex(const ref::Bytes& b) {
    std::string s = ref::hex(b);
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

class VmTpm : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-vm-" + std::to_string(::getpid()));
        vm_ = testsupport::boot_debian_guest(dir_);
    }
    void TearDown() override {
        ram_ = vm_ ? vm_->ram_file() : fs::path();
        vm_.reset();
        fs::remove_all(dir_);
    }
    // Waits for a tick after `after` and returns it.
    std::pair<int, std::string> next_tick(int after, int timeout_ms = 10000) {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (std::chrono::steady_clock::now() < deadline) {
            auto t = last_tick(vm_->console());
            if (t.first > after) return t;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return {0, ""};
    }

    fs::path dir_, ram_;
    std::unique_ptr<inspect::VirtualMachine> vm_;
};

}  // namespace

TEST_F(VmTpm, TheGuestSeesALaunchTheHostMadeOnItsRunningTpm) {
    auto before = next_tick(0);
    ASSERT_GT(before.first, 0) << vm_->console();
    EXPECT_EQ(before.second, std::string(64, 'F'));  // no launch since the guest's Startup
    // Booted without a launch: fw_cfg carries no DRTM log (and fw_cfg_read
    // could read the directory to say so).
    EXPECT_NE(vm_->console().find("DRTM-LOG none"), std::string::npos) << vm_->console();

    tpm::SwtpmControl host(tpm::ControlEndpoint{(dir_ / "tpm.sock.ctrl").string(), "", 0});
    host.drtm_sequence(binary::as_bytes("drtm inspector"));
    const std::string measured = "drtm inspector";
    const auto expected =
        upper_hex(ref::extend("SHA256", ref::zeros(32),
                              ref::digest("SHA256", ref::Bytes(measured.begin(), measured.end()))));
    // The guest keeps running and reads the new value from its TPM.
    auto after = next_tick(before.first + 1);
    for (int i = 0; i < 5 && after.second != expected; ++i) after = next_tick(after.first);
    EXPECT_EQ(after.second, expected) << vm_->console();
}

TEST_F(VmTpm, QmpStopFreezesTheGuestAndContResumesIt) {
    auto running = next_tick(0);
    ASSERT_GT(running.first, 0);
    vm_->qmp().stop();
    EXPECT_EQ(vm_->qmp().status(), "paused");
    const auto frozen = last_tick(vm_->console());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(last_tick(vm_->console()).first, frozen.first);  // no tick while paused
    vm_->qmp().cont();
    EXPECT_GT(next_tick(frozen.first).first, frozen.first);  // the counter advances again
}

TEST_F(VmTpm, NothingIsLeftBehind) {
    const auto ram = vm_->ram_file();
    const pid_t qemu = vm_->qemu_pid();
    EXPECT_TRUE(fs::exists(ram));
    vm_.reset();
    EXPECT_FALSE(fs::exists(ram));
    EXPECT_NE(::kill(qemu, 0), 0);  // reaped
    EXPECT_FALSE(fs::exists(dir_ / "tpm.sock"));
    EXPECT_FALSE(fs::exists(dir_ / "qmp.sock"));
    EXPECT_FALSE(fs::exists(dir_ / "gdb.sock"));
}
