// The update flow as a user runs it, through the drtm command: seal once,
// `drtm update check --authorize` before the reboot, unseal after it, and
// the old launch refused from then on. AMD and Intel.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
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
class AuthorizeCli : public ::testing::TestWithParam<const char*> {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-authz-cli-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "vmlinuz",
                                  binary::ByteView(image_test::make_synthetic_bzimage()));
        binary::write_file_atomic(dir_ / "dce.bin",
                                  binary::ByteView(flavour() == "amd" ? image::make_test_skl()
                                                                      : image::make_test_sinit()));
        binary::write_file_atomic(dir_ / "secret", std::string_view("luks keyfile"));
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string flavour() const { return GetParam(); }
    std::string path(const std::string& name) const { return quote((dir_ / name).string()); }
    testsupport::CommandResult drtm(std::string args) {
        args =
            std::regex_replace(args, std::regex("--tcti T"), "--tcti " + quote(platform_.tcti()));
        return run_command(drtm_cmd(args));
    }
    std::string artifacts(const std::string& cmdline) {
        return "--flavour " + flavour() + " --dce " + path("dce.bin") + " --kernel " +
               path("vmlinuz") + " --cmdline " + quote(cmdline);
    }
    void launch(const std::string& cmdline) {
        auto r = drtm("launch --tcti T " + artifacts(cmdline) + " --out " + path("launch"));
        ASSERT_EQ(r.status, 0) << r.err;
    }
    launch::ScopedPlatform platform_;
    fs::path dir_;
};
}  // namespace

TEST_P(AuthorizeCli, SealOnceApproveTheUpdateRevokeTheOldLaunch) {
    launch("console=ttyS0");
    auto r = drtm("seal --tcti T --dir " + path("store") + " --in " + path("secret") + " --key " +
                  path("key.pem"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(fs::status(dir_ / "key.pem").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    r = drtm("unseal --tcti T --dir " + path("store"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "luks keyfile");

    // Before the reboot: verify this launch, approve the next (the key
    // comes from the store). Intel's SINIT part comes from the running log.
    r = drtm("update check --tcti T --log " + path("launch/eventlog.bin") + " " +
             artifacts("console=ttyS0 quiet") + " --authorize " + path("store"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("approved the next launch"), std::string::npos) << r.out;
    EXPECT_EQ(drtm("unseal --tcti T --dir " + path("store")).out, "luks keyfile")
        << "the running launch stays approved until the new one is used";

    launch("console=ttyS0 quiet");  // the reboot into the update
    r = drtm("unseal --tcti T --dir " + path("store") + " --out " + path("key.out"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(binary::read_file(dir_ / "key.out").size(), 12u);

    launch("console=ttyS0");  // rollback to the old launch
    r = drtm("unseal --tcti T --dir " + path("store"));
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("revoked"), std::string::npos) << r.err;

    r = drtm("authorize --tcti T --dir " + path("store") + " --list --json");
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["authorizations"].size(), 2u);
    EXPECT_TRUE(j["authorizations"][0]["revoked"].get<bool>());
    EXPECT_FALSE(j["authorizations"][1]["revoked"].get<bool>());
    EXPECT_EQ(j["counter"]["value"], j["authorizations"][1]["counter_limit"]);
}

TEST_P(AuthorizeCli, AuthorizeWithArtifactsAndRevokeOlderAtOnce) {
    launch("console=ttyS0");
    ASSERT_EQ(drtm("seal --tcti T --dir " + path("store") + " --in " + path("secret") + " --key " +
                   path("key.pem"))
                  .status,
              0);
    auto ref = flavour() == "intel" ? " --reference-log " + path("launch/eventlog.bin") : "";
    auto r = drtm("authorize --tcti T --dir " + path("store") + " " + artifacts("a=1") +
                  " --cmdline b=2" + ref + " --revoke-older --json");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["authorized"].size(), 2u) << "one per variant";
    r = drtm("unseal --tcti T --dir " + path("store"));
    EXPECT_NE(r.status, 0) << "--revoke-older revoked the running launch";
    launch("b=2");
    EXPECT_EQ(drtm("unseal --tcti T --dir " + path("store")).out, "luks keyfile");
    launch("a=1");
    EXPECT_EQ(drtm("unseal --tcti T --dir " + path("store")).out, "luks keyfile")
        << "variants of one update share a generation";
}

TEST_P(AuthorizeCli, ReadableErrors) {
    launch("console=ttyS0");
    auto r = drtm("authorize --tcti T --dir " + path("nothing") + " --current");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("sealed.json"), std::string::npos) << r.err;

    ASSERT_EQ(
        drtm("seal --tcti T --mode pcr --dir " + path("pcr") + " --in " + path("secret")).status,
        0);
    r = drtm("authorize --tcti T --dir " + path("pcr") + " --current --key " + path("key.pem"));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("mode pcr"), std::string::npos) << r.err;

    ASSERT_EQ(drtm("seal --tcti T --dir " + path("store") + " --in " + path("secret") + " --key " +
                   path("key.pem"))
                  .status,
              0);
    r = drtm("authorize --tcti T --dir " + path("store"));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("name the launch"), std::string::npos) << r.err;

    binary::write_file_atomic(
        dir_ / "ff.json",
        std::string_view("{\"pcrs\": {\"sha256\": {\"17\": \"" + std::string(64, 'f') +
                         "\", \"18\": \"" + std::string(64, 'f') + "\"}}}"));
    r = drtm("authorize --tcti T --dir " + path("store") + " --prediction " + path("ff.json"));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("all FF"), std::string::npos) << r.err;

    ASSERT_EQ(run_command("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                          path("other.pem"))
                  .status,
              0);
    r = drtm("authorize --tcti T --dir " + path("store") + " --current --key " + path("other.pem"));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("not the one the secret is sealed under"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Flavours, AuthorizeCli, ::testing::Values("amd", "intel"));
