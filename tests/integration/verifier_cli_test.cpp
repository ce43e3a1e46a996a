// The verifier service as a user runs it, against a real TPM (swtpm with EK
// certificates from the platform's CA), on SQLite and on a real PostgreSQL
// server: verifier init / client-cert / serve, agent enroll (MakeCredential
// answered by the TPM's ActivateCredential), agent attest (once and
// periodically), policies managed by the admin, restart keeps the state.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "binary/file_io.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/emulated_platform.hpp"
#include "support/postgres_server.hpp"
#include "support/run_command.hpp"
#include "support/serve_process.hpp"
#include "support/synthetic_amd_launch.hpp"

using namespace drtm;
using testsupport::drtm_cmd;
using testsupport::quote;
using testsupport::run_command;
using testsupport::ServeProcess;
namespace fs = std::filesystem;

namespace {
class VerifierCli : public ::testing::TestWithParam<std::string> {};
}  // namespace

TEST_P(VerifierCli, EnrollAttestManageAndRestart) {
    launch::PlatformOptions po;
    po.ek_certificates = true;
    launch::ScopedPlatform platform({crypto::HashAlg::sha1, crypto::HashAlg::sha256}, po);
    const auto dir = fs::temp_directory_path() /
                     ("drtm-verifier-cli-" + GetParam() + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto p = [&](const char* f) { return quote((dir / f).string()); };
    const auto tcti = " --tcti " + quote(platform.tcti());
    const std::string artifacts = testsupport::launch_synthetic_amd(dir, platform.tcti());
    auto r = run_command(drtm_cmd("attest keys" + tcti + " --out " + p("keys.json")));
    ASSERT_EQ(r.status, 0) << r.err;

    const std::string v = " --dir " + p("verifier");
    r = run_command(drtm_cmd("verifier init" + v));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(run_command(drtm_cmd("verifier init" + v)).status, 0);  // never replaces a CA
    r = run_command(drtm_cmd("verifier client-cert" + v + " --name node-1 --out " + p("agent")));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(fs::status(dir / "agent" / "key.pem").permissions() & fs::perms::others_read,
              fs::perms::none);

    std::string database;
    if (GetParam() == "postgresql")
        database = " --database " + quote(testsupport::PostgresServer::instance().new_database());
    const std::string serve_args =
        "--ek-roots " + quote((platform.state_dir() / "ek-ca.pem").string()) + database;
    auto server = std::make_unique<ServeProcess>(dir / "verifier", serve_args);
    const std::string agent = " --verifier " + server->url() + " --identity " + p("agent") + tcti +
                              " --keys " + p("keys.json");
    const std::string admin = v + " --url " + server->url();

    r = run_command(drtm_cmd("agent enroll" + agent + " --json"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["node"], "node-1");

    // Genuine, but nothing to appraise it against yet: warning (exit 2).
    const std::string attest = "agent attest" + agent + " --log " + p("launch/eventlog.bin");
    r = run_command(drtm_cmd(attest));
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    EXPECT_NE(r.out.find("failed:appraised"), std::string::npos) << r.out;

    // The admin stores the predicted launch as the node's policy.
    r = run_command(drtm_cmd("predict --json" + artifacts));
    ASSERT_EQ(r.status, 0) << r.err;
    nlohmann::json policy = {{"format", "drtm-appraisal-policy"},
                             {"version", 1},
                             {"id", "amd-test"},
                             {"reference_values", {nlohmann::json::parse(r.out)}}};
    binary::write_file_atomic(dir / "policy.json", std::string_view(policy.dump()));
    r = run_command(drtm_cmd("verifier policy" + admin + " " + p("policy.json")));
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_command(drtm_cmd("verifier assign node-1 --policy amd-test" + admin));
    ASSERT_EQ(r.status, 0) << r.err;
    // An agent identity is not an admin identity.
    r = run_command(drtm_cmd("verifier nodes" + admin + " --identity " + p("agent")));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("admin credential"), std::string::npos) << r.err;

    r = run_command(drtm_cmd(attest + " --json"));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["status"], "affirming");
    r = run_command(drtm_cmd(attest + " --interval 0.2 --count 3"));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;

    // The state survives a restart of the verifier. SIGTERM stops it
    // cleanly: it says so and reports what it stored.
    EXPECT_EQ(server->stop(), 0);
    {
        auto log = binary::read_text_file(dir / "verifier" / "serve.log");
        EXPECT_NE(log.find("stopping (signal 15)"), std::string::npos) << log;
        EXPECT_NE(log.find("stored 5 attestations"), std::string::npos) << log;
    }
    server = std::make_unique<ServeProcess>(dir / "verifier", serve_args);
    const std::string admin2 = v + " --url " + server->url();
    r = run_command(drtm_cmd("verifier history node-1 --json" + admin2));
    ASSERT_EQ(r.status, 0) << r.err;
    auto history = nlohmann::json::parse(r.out)["attestations"];
    ASSERT_EQ(history.size(), 5u);
    EXPECT_EQ(history[0]["status"], "affirming");
    EXPECT_EQ(history[4]["status"], "warning");
    r = run_command(drtm_cmd("verifier nodes --json" + admin2));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["nodes"][0]["last_status"], "affirming");

    // A different kernel launched on the node is no longer the reference.
    binary::write_file_atomic(dir / "vmlinuz2",
                              binary::ByteView(image_test::make_synthetic_bzimage(
                                  image_test::SyntheticKernel{.payload_size = 0x2000})));
    ASSERT_EQ(run_command(drtm_cmd("launch" + tcti + " --flavour amd --dce " + p("skl.bin") +
                                   " --kernel " + p("vmlinuz2") + " --out " + p("launch2")))
                  .status,
              0);
    r = run_command(drtm_cmd("agent attest --verifier " + server->url() + " --identity " +
                             p("agent") + tcti + " --keys " + p("keys.json") + " --log " +
                             p("launch2/eventlog.bin")));
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("failed:reference_values"), std::string::npos) << r.out;

    // Unenrolled, the node can no longer ask for a nonce.
    r = run_command(drtm_cmd("verifier remove node-1" + admin2));
    EXPECT_EQ(r.status, 0) << r.err;
    r = run_command(drtm_cmd("agent attest --verifier " + server->url() + " --identity " +
                             p("agent") + tcti + " --keys " + p("keys.json") + " --log " +
                             p("launch/eventlog.bin")));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("not enrolled"), std::string::npos) << r.err;
    EXPECT_EQ(server->stop(), 0);
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Storage, VerifierCli, ::testing::Values("sqlite", "postgresql"));
