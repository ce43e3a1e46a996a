// Sealing to DRTM PCRs on a real swtpm: the TPM itself, not drtm's pre-check,
// enforces the policy; a prediction can be sealed to before the launch.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/emulated_platform.hpp"
#include "launch/launcher.hpp"
#include "predict/predictor.hpp"
#include "seal/local_seal.hpp"
#include "support/run_command.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {
class SealTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-seal-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "vmlinuz",
                                  binary::ByteView(image_test::make_synthetic_bzimage()));
        binary::write_file_atomic(dir_ / "skl.bin", binary::ByteView(image::make_test_skl()));
    }
    void TearDown() override { fs::remove_all(dir_); }
    launch::LaunchRequest req(const std::string& cmdline) {
        launch::LaunchRequest r;
        r.tcti = platform_.tcti();
        r.flavour = launch::Flavour::amd;
        r.dce = dir_ / "skl.bin";
        r.dlme = launch::LinuxDlme{dir_ / "vmlinuz", std::nullopt, cmdline};
        return r;
    }
    seal::SealedSecret seal_current(const std::string& secret) {
        tpm::Tpm t(platform_.tcti());
        seal::PcrSelection sel;
        auto values = t.read_pcrs({sel.bank}, sel.pcrs);
        return seal::seal_secret(t, binary::as_bytes(secret), sel, values, "current PCRs");
    }
    binary::Bytes unseal(const seal::SealedSecret& s) {
        tpm::Tpm t(platform_.tcti());
        return seal::unseal_secret(t, s).secret;
    }
    launch::ScopedPlatform platform_;
    fs::path dir_;
};
}  // namespace

TEST_F(SealTest, SameLaunchUnsealsOtherLaunchIsRefused) {
    launch::perform_launch(req("console=ttyS0"));
    auto sealed = seal_current("luks key");
    seal::save_sealed(dir_ / "store", sealed);
    auto loaded = seal::load_sealed(dir_ / "store");
    EXPECT_EQ(unseal(loaded), binary::Bytes(binary::as_bytes("luks key").begin(),
                                            binary::as_bytes("luks key").end()));

    launch::perform_launch(req("console=ttyS0"));  // relaunch, same artifacts
    EXPECT_EQ(unseal(loaded).size(), 8u);

    launch::perform_launch(req("init=/bin/sh"));
    try {
        unseal(loaded);
        FAIL() << "a different command line must not unseal";
    } catch (const seal::UnsealRefused& e) {
        EXPECT_EQ(e.differing(), (std::vector<std::uint32_t>{18}));
        EXPECT_NE(std::string(e.what()).find("PCR 18"), std::string::npos);
    }
}

TEST_F(SealTest, TheTpmEnforcesThePolicyNotJustDrtm) {
    launch::perform_launch(req("console=ttyS0"));
    auto sealed = seal_current("secret");
    launch::perform_launch(req("init=/bin/sh"));
    // Rewrite the recorded values to today's, so drtm's pre-check passes: the
    // TPM must still refuse, because the object's policy is the old one.
    tpm::Tpm t(platform_.tcti());
    sealed.sealed_values = t.read_pcrs({sealed.selection.bank}, sealed.selection.pcrs);
    try {
        seal::unseal_secret(t, sealed);
        FAIL() << "the TPM released a secret under the wrong PCRs";
    } catch (const seal::UnsealRefused& e) {
        EXPECT_NE(std::string(e.what()).find("TPM refused the policy"), std::string::npos)
            << e.what();
    }
}

TEST_F(SealTest, SealToAPredictionBeforeTheLaunch) {
    launch::perform_launch(req("console=ttyS0"));
    auto next = predict::predict_launch(req("console=ttyS0 quiet"));
    seal::SealedSecret sealed;
    {
        tpm::Tpm t(platform_.tcti());
        sealed = seal::seal_secret(t, binary::as_bytes("next"), {}, next.pcrs, "prediction");
    }
    EXPECT_THROW(unseal(sealed), seal::UnsealRefused) << "not launched yet";
    launch::perform_launch(req("console=ttyS0 quiet"));
    EXPECT_EQ(unseal(sealed).size(), 4u);
}

TEST_F(SealTest, NoLaunchMeansNoSeal) {
    tpm::Tpm t(platform_.tcti());
    seal::PcrSelection sel;
    auto values = t.read_pcrs({sel.bank}, sel.pcrs);  // all FF: nothing launched
    EXPECT_THROW(seal::seal_secret(t, binary::as_bytes("x"), sel, values, "current"),
                 std::runtime_error);
}

TEST_F(SealTest, TamperedBlobIsRefused) {
    launch::perform_launch(req("console=ttyS0"));
    auto sealed = seal_current("secret");
    sealed.object.private_area[sealed.object.private_area.size() / 2] ^= 0x01;
    EXPECT_THROW(unseal(sealed), std::runtime_error);
    auto truncated = seal_current("secret");
    truncated.object.public_area.resize(10);
    EXPECT_THROW(unseal(truncated), std::runtime_error);
}

TEST_F(SealTest, CorruptStoreNamesTheFile) {
    fs::create_directories(dir_ / "bad");
    binary::write_file_atomic(dir_ / "bad/sealed.json",
                              std::string_view("{\"format\": \"drtm-sealed\"}"));
    try {
        seal::load_sealed(dir_ / "bad");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("sealed.json"), std::string::npos) << e.what();
    }
}

TEST_F(SealTest, Tpm2ToolsUnsealsTheSameObject) {
    if (::system("command -v tpm2_unseal >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "tpm2-tools missing";
    launch::perform_launch(req("console=ttyS0"));
    auto sealed = seal_current("interop secret");
    binary::write_file_atomic(dir_ / "obj.pub", binary::ByteView(sealed.object.public_area));
    binary::write_file_atomic(dir_ / "obj.priv", binary::ByteView(sealed.object.private_area));
    // docs/seal.md: the same storage key template, then a PolicyPCR session.
    // Without a resource manager tpm2-tools leaves transient objects loaded,
    // hence the flushes.
    const std::string d = testsupport::quote(dir_.string());
    const std::string script =
        "set -e; export TPM2TOOLS_TCTI=" + testsupport::quote(platform_.tcti()) + "; cd " + d +
        "; tpm2_createprimary -Q -C o -g sha256 -G rsa2048:aes128cfb"
        " -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt' -c "
        "srk.ctx"
        "; tpm2_flushcontext -t; tpm2_load -Q -C srk.ctx -u obj.pub -r obj.priv -c obj.ctx; "
        "tpm2_flushcontext -t"
        "; tpm2_startauthsession -Q --policy-session -S s.ctx; tpm2_policypcr -Q -S s.ctx -l "
        "sha256:17,18"
        "; tpm2_unseal -c obj.ctx -p session:s.ctx; tpm2_flushcontext -t; tpm2_flushcontext -s";
    auto r = testsupport::run_command("bash -c " + testsupport::quote(script));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "interop secret");
}
