// Signed approvals against tpm2-tools 5.4: the key name, the object's
// policy and the approved policy equal what tpm2-tools' trial sessions
// compute, and tpm2-tools alone unseals a drtm store with the command
// sequence docs/seal.md gives.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

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
class AuthorizedInterop : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::system("command -v tpm2_policyauthorize >/dev/null 2>&1") != 0 ||
            ::system("command -v jq >/dev/null 2>&1") != 0)
            GTEST_SKIP() << "tpm2-tools or jq missing";
        dir_ = fs::temp_directory_path() / ("drtm-authz-interop-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "vmlinuz",
                                  binary::ByteView(image_test::make_synthetic_bzimage()));
        binary::write_file_atomic(dir_ / "skl.bin", binary::ByteView(image::make_test_skl()));
        binary::write_file_atomic(dir_ / "secret", std::string_view("interop secret"));
        auto r = run_command(drtm_cmd("launch --tcti " + quote(platform_.tcti()) +
                                      " --flavour amd --dce " + path("skl.bin") + " --kernel " +
                                      path("vmlinuz") + " --out " + path("launch")));
        ASSERT_EQ(r.status, 0) << r.err;
        r = run_command(drtm_cmd("seal --tcti " + quote(platform_.tcti()) + " --dir " +
                                 path("store") + " --in " + path("secret") + " --key " +
                                 path("key.pem")));
        ASSERT_EQ(r.status, 0) << r.err;
        auto bytes = binary::read_file(dir_ / "store/sealed.json");
        store_ = nlohmann::json::parse(bytes.begin(), bytes.end());
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    std::string path(const char* name) const { return quote((dir_ / name).string()); }
    // Runs a bash script in the test directory against the platform's TPM.
    testsupport::CommandResult tools(const std::string& script) {
        return run_command("bash -c " +
                           quote("set -e; export TPM2TOOLS_TCTI=" + quote(platform_.tcti()) +
                                 "; cd " + quote(dir_.string()) + "; " + script));
    }
    std::string file_hex(const char* name) {
        return binary::to_hex(binary::read_file(dir_ / name));
    }

    launch::ScopedPlatform platform_;
    fs::path dir_;
    nlohmann::json store_;
};
}  // namespace

TEST_F(AuthorizedInterop, PoliciesMatchTpm2ToolsTrialSessions) {
    // The key's name as tpm2_loadexternal computes it from the public PEM.
    auto r = tools(
        "openssl pkey -in key.pem -pubout -out key.pub.pem;"
        " tpm2_loadexternal -Q -C o -G ecc -u key.pub.pem -c key.ctx -n key.name;"
        " tpm2_flushcontext -t;"
        // The object's policy: PolicyAuthorize naming that key.
        " tpm2_startauthsession -Q -S trial.ctx;"
        " tpm2_policyauthorize -Q -S trial.ctx -n key.name -L object.policy;"
        " tpm2_flushcontext trial.ctx;"
        // The approved policy for the current launch: PolicyPCR, then
        // PolicyNV (counter <= limit).
        " printf '%016x' $(jq -r '.authorizations[0].counter_limit' store/sealed.json)"
        "   | xxd -r -p > limit.bin;"
        " tpm2_startauthsession -Q -S trial.ctx;"
        " tpm2_policypcr -Q -S trial.ctx -l sha256:17,18;"
        " tpm2_policynv -Q -S trial.ctx -i limit.bin $(jq -r .counter.index store/sealed.json) ule"
        "   -L approved.policy;"
        " tpm2_flushcontext trial.ctx");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(file_hex("key.name"), store_["key"]["name"].get<std::string>());
    EXPECT_EQ(file_hex("object.policy"), store_["policy"].get<std::string>());
    EXPECT_EQ(file_hex("approved.policy"),
              store_["authorizations"][0]["policy"].get<std::string>());
}

TEST_F(AuthorizedInterop, Tpm2ToolsUnsealsWithTheSignedApproval) {
    // docs/seal.md, "Unsealing with tpm2-tools". Without a resource manager
    // tpm2-tools leaves transient objects loaded, hence the flushes.
    auto r = tools(
        "A=.authorizations[0];"
        " jq -r .public store/sealed.json | xxd -r -p > obj.pub;"
        " jq -r .private store/sealed.json | xxd -r -p > obj.priv;"
        " jq -r \"$A.policy\" store/sealed.json | xxd -r -p > approved.policy;"
        " jq -r \"$A.signature\" store/sealed.json | xxd -r -p > approved.sig;"
        " printf '%016x' $(jq -r \"$A.counter_limit\" store/sealed.json) | xxd -r -p > limit.bin;"
        " NV=$(jq -r .counter.index store/sealed.json);"
        " openssl pkey -in key.pem -pubout -out key.pub.pem;"
        " tpm2_loadexternal -Q -C o -G ecc -u key.pub.pem -c key.ctx -n key.name;"
        " tpm2_verifysignature -Q -c key.ctx -g sha256 -m approved.policy -s approved.sig"
        "   -f ecdsa -t approved.ticket;"
        " tpm2_flushcontext -t;"
        " tpm2_createprimary -Q -C o -g sha256 -G rsa2048:aes128cfb"
        "   -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt'"
        "   -c srk.ctx;"
        " tpm2_flushcontext -t;"
        " tpm2_load -Q -C srk.ctx -u obj.pub -r obj.priv -c obj.ctx;"
        " tpm2_flushcontext -t;"
        " tpm2_startauthsession -Q --policy-session -S s.ctx;"
        " tpm2_policypcr -Q -S s.ctx -l sha256:17,18;"
        " tpm2_policynv -Q -S s.ctx -i limit.bin $NV ule;"
        " tpm2_policyauthorize -Q -S s.ctx -i approved.policy -n key.name -t approved.ticket;"
        " tpm2_unseal -c obj.ctx -p session:s.ctx;"
        " tpm2_flushcontext -t; tpm2_flushcontext -s");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "interop secret");
}
