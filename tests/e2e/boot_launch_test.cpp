// A boot-time launch that does not match its prediction must not let the
// guest run as if launched: the kernel file is changed after the log was
// predicted (and served by fw_cfg), so the real launch measures other bytes.
// The guest stays paused with its TPM unanswered, the VM says why, and
// tearing it down does not hang.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "binary/file_io.hpp"
#include "inspect/virtual_machine.hpp"
#include "launch/launch_request.hpp"
#include "support/debian_guest.hpp"
#include "support/run_command.hpp"

namespace fs = std::filesystem;
using namespace drtm;

TEST(BootLaunch, AMismatchedLaunchLeavesTheGuestPausedAndSaysWhy) {
    const fs::path dir =
        fs::temp_directory_path() / ("drtm-boot-launch-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path kernel = dir / "vmlinuz";
    fs::copy_file(testsupport::artifacts() / "vmlinuz", kernel);
    const fs::path skl = dir / "skl.bin";
    ASSERT_EQ(
        testsupport::run_command(testsupport::drtm_cmd("image make-test-dce --flavour amd --out " +
                                                       testsupport::quote(skl.string())))
            .status,
        0);

    inspect::VmConfig c;
    c.dir = dir / "vm";
    c.kernel = testsupport::debian_vmlinux_elf();
    c.initrd = testsupport::artifacts() / "guest-initrd.img";
    c.append = inspect::kDefaultLinuxAppend;
    launch::LaunchRequest r;
    r.flavour = launch::Flavour::amd;
    r.dce = skl;
    r.dlme = launch::LinuxDlme{kernel, c.initrd, c.append};
    c.boot_launch = r;
    const auto started = std::chrono::steady_clock::now();
    {
        inspect::VirtualMachine vm(c);
        // The log is predicted; now the file the launch will measure changes.
        std::ofstream(kernel, std::ios::app | std::ios::binary) << 'x';
        auto* launcher = vm.boot_launch();
        ASSERT_NE(launcher, nullptr);
        EXPECT_FALSE(launcher->wait(120000));
        EXPECT_TRUE(launcher->failed());
        EXPECT_NE(launcher->error().find("another log than the one predicted"), std::string::npos)
            << launcher->error();
        EXPECT_FALSE(vm.running());
        EXPECT_NE(vm.failure().find("predicted"), std::string::npos) << vm.failure();
        EXPECT_EQ(vm.qmp().status(), "paused");
        EXPECT_EQ(vm.console().find("GUEST-READY"), std::string::npos);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(100));
    fs::remove_all(dir);
}
