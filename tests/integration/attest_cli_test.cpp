// drtm attest as a user runs it: keys, quote, verify (exit codes 0 / 2 / 1),
// a signed EAR that `drtm attest result` checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "binary/file_io.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/emulated_platform.hpp"
#include "support/run_command.hpp"
#include "support/synthetic_amd_launch.hpp"

using namespace drtm;
namespace fs = std::filesystem;
using testsupport::drtm_cmd;
using testsupport::quote;
using testsupport::run_command;

TEST(AttestCli, QuoteVerifyAndSignedResult) {
    launch::ScopedPlatform platform;
    const auto dir = fs::temp_directory_path() / ("drtm-attest-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const auto p = [&](const char* f) { return quote((dir / f).string()); };
    const auto tcti = " --tcti " + quote(platform.tcti());
    const std::string artifacts = testsupport::launch_synthetic_amd(dir, platform.tcti());
    auto r = run_command(drtm_cmd("attest keys" + tcti + " --out " + p("keys.json") + " --json"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["ak_name"].get<std::string>().size(), 68u);
    const std::string nonce = "0123456789abcdef0123456789abcdef";
    r = run_command(drtm_cmd("attest quote" + tcti + " --keys " + p("keys.json") + " --nonce " +
                             nonce + " --log " + p("launch/eventlog.bin") + " --node n1 --out " +
                             p("evidence.json")));
    ASSERT_EQ(r.status, 0) << r.err;

    r = run_command(drtm_cmd("predict --json" + artifacts));
    ASSERT_EQ(r.status, 0) << r.err;
    nlohmann::json policy = {{"format", "drtm-appraisal-policy"},
                             {"version", 1},
                             {"id", "test-policy"},
                             {"reference_values", {nlohmann::json::parse(r.out)}}};
    binary::write_file_atomic(dir / "policy.json", std::string_view(policy.dump()));
    ASSERT_EQ(run_command("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                          p("verifier.pem") + " && openssl pkey -in " + p("verifier.pem") +
                          " -pubout -out " + p("verifier.pub.pem"))
                  .status,
              0);
    const std::string verify = "attest verify --evidence " + p("evidence.json") + " --keys " +
                               p("keys.json") + " --nonce " + nonce;

    r = run_command(drtm_cmd(verify + " --policy " + p("policy.json")));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("status: affirming"), std::string::npos) << r.out;

    r = run_command(
        drtm_cmd(verify + " --policy " + p("policy.json") + " --signing-key " + p("verifier.pem")));
    ASSERT_EQ(r.status, 0) << r.err;
    binary::write_file_atomic(dir / "result.jwt", std::string_view(r.out));
    r = run_command(drtm_cmd("attest result --jwt " + p("result.jwt") + " --public-key " +
                             p("verifier.pub.pem")));
    ASSERT_EQ(r.status, 0) << r.err;
    auto claims = nlohmann::json::parse(r.out);
    EXPECT_EQ(claims["ear_status"], "affirming");
    EXPECT_EQ(claims["drtm_node"], "n1");
    EXPECT_EQ(claims["submods"]["drtm-launch"]["ear_appraisal_policy_ids"][0], "test-policy");

    r = run_command(drtm_cmd(verify));  // no policy: genuine but not appraised
    EXPECT_EQ(r.status, 2) << r.out;
    r = run_command(drtm_cmd("attest verify --evidence " + p("evidence.json") + " --keys " +
                             p("keys.json") + " --nonce ffffffffffffffff --json"));
    EXPECT_EQ(r.status, 1);
    auto failed = nlohmann::json::parse(r.out)["submods"]["drtm-launch"]["drtm_failed_checks"];
    EXPECT_NE(std::find(failed.begin(), failed.end(), "nonce"), failed.end()) << failed;

    binary::write_file_atomic(dir / "bad.json", std::string_view("{\"format\":"));
    r = run_command(drtm_cmd("attest verify --evidence " + p("bad.json") + " --nonce " + nonce));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("bad.json: evidence: offset"), std::string::npos) << r.err;
    fs::remove_all(dir);
}
