// A prediction must equal what the TPM holds after the launch it predicts.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "eventlog/parse.hpp"
#include "image/multiboot2_header.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/emulated_platform.hpp"
#include "launch/launcher.hpp"
#include "predict/predictor.hpp"
#include "tpm/tpm.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {
class PredictTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-predict-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        put("vmlinuz", image_test::make_synthetic_bzimage());
        image_test::SyntheticKernel other;
        other.payload_size = 0x1800;  // a "new" kernel: different bytes and size
        put("vmlinuz.new", image_test::make_synthetic_bzimage(other));
        put("initrd", binary::Bytes(7000, 0x5A));
        put("skl.bin", image::make_test_skl());
        put("sinit.bin", image::make_test_sinit());
        binary::Bytes xen = image::build_multiboot2_header(0, {});
        xen.resize(0x8000, 0x90);
        put("xen", xen);
    }
    void TearDown() override { fs::remove_all(dir_); }
    void put(const std::string& n, const binary::Bytes& b) {
        binary::write_file_atomic(dir_ / n, binary::ByteView(b));
    }
    launch::LaunchRequest linux_req(launch::Flavour f, const std::string& kernel = "vmlinuz") {
        launch::LaunchRequest r;
        r.tcti = platform_.tcti();
        r.flavour = f;
        r.dce = dir_ / (f == launch::Flavour::amd ? "skl.bin" : "sinit.bin");
        r.dlme = launch::LinuxDlme{dir_ / kernel, dir_ / "initrd", "console=ttyS0"};
        return r;
    }
    tpm::PcrBanks tpm_pcrs() {
        tpm::Tpm t(platform_.tcti());
        return t.read_pcrs({crypto::HashAlg::sha1, crypto::HashAlg::sha256},
                           {17, 18, 19, 20, 21, 22});
    }
    launch::ScopedPlatform platform_;
    fs::path dir_;
};
}  // namespace

TEST_F(PredictTest, EveryFlavourAndDlmeIsPredictedExactly) {
    std::vector<launch::LaunchRequest> requests = {linux_req(launch::Flavour::amd),
                                                   linux_req(launch::Flavour::intel)};
    for (auto f : {launch::Flavour::amd, launch::Flavour::intel}) {
        launch::LaunchRequest x;
        x.tcti = platform_.tcti();
        x.flavour = f;
        x.dce = dir_ / (f == launch::Flavour::amd ? "skl.bin" : "sinit.bin");
        x.dlme =
            launch::XenDlme{dir_ / "xen", "console=com1", {{dir_ / "vmlinuz", "root=/dev/ram0"}}};
        requests.push_back(x);
    }
    for (const auto& req : requests) {
        auto predicted = predict::predict_launch(req);
        auto result = launch::perform_launch(req);
        ASSERT_TRUE(result.verified);
        EXPECT_EQ(predicted.pcrs, tpm_pcrs()) << launch::flavour_name(req.flavour);
    }
}

TEST_F(PredictTest, IntelNewKernelFromAReferenceLogOfTheOldOne) {
    // Launch the old kernel; its log is the reference for the update.
    auto old_launch = launch::perform_launch(linux_req(launch::Flavour::intel));
    auto reference = eventlog::parse_event_log(binary::ByteView(old_launch.eventlog));
    // Predict the new kernel from the reference, then really launch it.
    auto predicted =
        predict::predict_launch(linux_req(launch::Flavour::intel, "vmlinuz.new"), &reference);
    EXPECT_EQ(predicted.dce_source, predict::DceSource::reference_log);
    auto old_pcrs = tpm_pcrs();
    launch::perform_launch(linux_req(launch::Flavour::intel, "vmlinuz.new"));
    auto new_pcrs = tpm_pcrs();
    EXPECT_EQ(predicted.pcrs, new_pcrs);
    EXPECT_NE(old_pcrs[crypto::HashAlg::sha256][17], new_pcrs[crypto::HashAlg::sha256][17]);
    // The JSON has the shape of `drtm log replay --json`.
    auto j = predict::to_json(predicted);
    EXPECT_EQ(j["pcrs"]["sha256"]["17"], binary::to_hex(new_pcrs[crypto::HashAlg::sha256][17]));
}

TEST_F(PredictTest, ReferenceLogWithoutSinitRecordsIsRefused) {
    auto amd = launch::perform_launch(linux_req(launch::Flavour::amd));
    auto not_txt = eventlog::parse_event_log(binary::ByteView(amd.eventlog));
    EXPECT_THROW(predict::predict_launch(linux_req(launch::Flavour::intel), &not_txt),
                 std::runtime_error);
}
