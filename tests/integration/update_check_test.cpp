// Update inspection on a real swtpm: the running launch is verified from its
// log, and the differences to the next launch are exactly the changed inputs.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "eventlog/parse.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/emulated_platform.hpp"
#include "launch/launcher.hpp"
#include "predict/update_check.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {
class UpdateCheck : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-update-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "vmlinuz",
                                  binary::ByteView(image_test::make_synthetic_bzimage()));
        binary::write_file_atomic(dir_ / "initrd.old", std::string_view("old initrd"));
        binary::write_file_atomic(dir_ / "initrd.new", std::string_view("new initrd, bigger"));
        binary::write_file_atomic(dir_ / "skl.bin", binary::ByteView(image::make_test_skl()));
        binary::write_file_atomic(dir_ / "sinit.bin", binary::ByteView(image::make_test_sinit()));
    }
    void TearDown() override { fs::remove_all(dir_); }
    launch::LaunchRequest req(launch::Flavour f, const std::string& initrd,
                              const std::string& cmdline) {
        launch::LaunchRequest r;
        r.tcti = platform_.tcti();
        r.flavour = f;
        r.dce = dir_ / (f == launch::Flavour::amd ? "skl.bin" : "sinit.bin");
        r.dlme = launch::LinuxDlme{dir_ / "vmlinuz", dir_ / initrd, cmdline};
        return r;
    }
    predict::UpdateReport check(const launch::LaunchResult& running,
                                const launch::LaunchRequest& next, binary::Bytes log_bytes = {}) {
        auto log = eventlog::parse_event_log(
            binary::ByteView(log_bytes.empty() ? running.eventlog : log_bytes));
        tpm::PcrBanks pcrs;
        {
            tpm::Tpm t(platform_.tcti());
            pcrs = t.read_pcrs({crypto::HashAlg::sha1, crypto::HashAlg::sha256},
                               {17, 18, 19, 20, 21, 22});
        }
        auto prediction =
            predict::predict_launch(next, next.flavour == launch::Flavour::intel ? &log : nullptr);
        return predict::compare_with_next(log, pcrs, prediction);
    }
    launch::ScopedPlatform platform_;
    fs::path dir_;
};
}  // namespace

TEST_F(UpdateCheck, NewInitrdChangesOnlyPcr17AndTheInitrdMeasurement) {
    auto running = launch::perform_launch(req(launch::Flavour::amd, "initrd.old", "console=ttyS0"));
    auto r = check(running, req(launch::Flavour::amd, "initrd.new", "console=ttyS0"));
    EXPECT_TRUE(r.current_verified());
    EXPECT_EQ(r.changed_pcrs, (std::vector<std::uint32_t>{17, 18}))
        << "the initrd (17) and its size in the zero page (18)";
    std::vector<std::string> what;
    for (const auto& c : r.changes)
        what.push_back(c.change + ":" + std::to_string(c.pcr) + ":" + c.what);
    EXPECT_EQ(what, (std::vector<std::string>{"changed:18:Measured boot parameters",
                                              "changed:17:Measured Kernel initrd"}));
}

TEST_F(UpdateCheck, SameArtifactsChangeNothing) {
    auto running =
        launch::perform_launch(req(launch::Flavour::intel, "initrd.old", "console=ttyS0"));
    auto r = check(running, req(launch::Flavour::intel, "initrd.old", "console=ttyS0"));
    EXPECT_TRUE(r.current_verified());
    EXPECT_TRUE(r.changed_pcrs.empty());
    EXPECT_TRUE(r.changes.empty());
}

TEST_F(UpdateCheck, AForgedRunningLogIsNotVerified) {
    auto running = launch::perform_launch(req(launch::Flavour::amd, "initrd.old", "console=ttyS0"));
    auto forged = running.eventlog;
    auto log = eventlog::parse_event_log(binary::ByteView(forged));
    const auto& dlme = log[3];  // SKL's "DLME" record
    auto at = static_cast<std::size_t>(dlme.find_digest(0x000B)->bytes.data() - log.input().data());
    forged[at] ^= 0x80;
    auto r = check(running, req(launch::Flavour::amd, "initrd.old", "console=ttyS0"), forged);
    EXPECT_FALSE(r.current_verified());
}
