// `drtm vm run` as a user runs it: a Debian-kernel guest in the background,
// then `drtm launch` of that kernel onto the running guest's TPM through the
// TCTI `vm run` printed, `drtm log verify` against it, and the guest itself
// reading the launched PCR 17 from its own TPM. SIGTERM stops everything and
// leaves nothing behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "binary/file_io.hpp"
#include "inspect/linux_inspector.hpp"
#include "inspect/qmp_client.hpp"
#include "support/background_command.hpp"
#include "support/debian_guest.hpp"
#include "support/guest_console.hpp"
#include "support/openssl_ref.hpp"
#include "support/run_command.hpp"
#include "support/serve_process.hpp"

namespace fs = std::filesystem;
using testsupport::drtm_cmd;
using testsupport::quote;
using testsupport::run_command;

namespace {

const fs::path kArtifacts = DRTM_ARTIFACTS_DIR;

// Whether the guest prints PCR 17 = `hex` (its counter line) within 10 s.
bool guest_reads_pcr17(const fs::path& console, std::string hex) {
    for (auto& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (int i = 0; i < 100; ++i) {
        if (drtm::binary::read_text_file(console).find("PCR17 " + hex) != std::string::npos)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

// `drtm vm run --json` of the Debian guest in `vm_dir`, and its ready line
// (empty when it never came).
std::unique_ptr<testsupport::BackgroundCommand> run_debian_guest(const fs::path& vm_dir,
                                                                 nlohmann::json& ready) {
    auto vm = std::make_unique<testsupport::BackgroundCommand>(std::vector<std::string>{
        DRTM_BINARY, "vm", "run", "--dir", vm_dir.string(), "--kernel",
        (kArtifacts / "vmlinuz").string(), "--initrd", (kArtifacts / "guest-initrd.img").string(),
        "--wait-for", "GUEST-READY", "--json"});
    const auto line = vm->first_line(120000);
    ready = line.empty() ? nlohmann::json() : nlohmann::json::parse(line);
    return vm;
}

// Flips a byte of cmdline_find_option_bool (which the running kernel no
// longer calls, outside every patch site) in the guest `vm run` reported
// ready, pausing it over the inspectors' QMP monitor.
void change_kernel_byte(const nlohmann::json& ready) {
    auto golden =
        drtm::inspect::LinuxGolden::from_bzimage(drtm::binary::read_file(kArtifacts / "vmlinuz"));
    const auto offset =
        testsupport::plain_byte_of(*golden, "cmdline_find_option_bool") - 0xffffffff80000000ull;
    const std::string ram = ready["ram_file"];
    drtm::inspect::QmpClient qmp(ready["qmp"].get<std::string>());
    testsupport::set_guest_byte(qmp, ram, offset, testsupport::guest_byte(ram, offset) ^ 0xFF);
}

// Each test in a fresh directory of its own, removed afterwards.
class VmCli : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("drtm-vm-cli-" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
                std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

}  // namespace

TEST_F(VmCli, ALaunchOntoARunningGuestIsVerifiedAndSeenByTheGuest) {
    const fs::path& dir = dir_;
    nlohmann::json ready;
    auto vm = run_debian_guest(dir / "vm", ready);
    ASSERT_FALSE(ready.is_null()) << "drtm vm run printed no ready line";
    const std::string tcti = ready["tcti"];
    const fs::path ram = ready["ram_file"].get<std::string>();
    EXPECT_TRUE(fs::exists(ram));

    ASSERT_EQ(run_command(drtm_cmd("image make-test-dce --flavour amd --out " +
                                   quote((dir / "skl.bin").string())))
                  .status,
              0);
    auto launch = run_command(drtm_cmd("launch --tcti " + quote(tcti) + " --flavour amd --dce " +
                                       quote((dir / "skl.bin").string()) + " --kernel " +
                                       quote((kArtifacts / "vmlinuz").string()) + " --out " +
                                       quote((dir / "launch").string())));
    ASSERT_EQ(launch.status, 0) << launch.err;
    auto verify = run_command(drtm_cmd(
        "log verify " + quote((dir / "launch/eventlog.bin").string()) + " --tcti " + quote(tcti)));
    EXPECT_EQ(verify.status, 0) << verify.out << verify.err;

    // The value the log replays to, as the guest must print it.
    auto replay =
        run_command(drtm_cmd("log replay --json " + quote((dir / "launch/eventlog.bin").string())));
    ASSERT_EQ(replay.status, 0);
    const std::string pcr17 = nlohmann::json::parse(replay.out)["pcrs"]["sha256"]["17"];
    EXPECT_TRUE(guest_reads_pcr17(dir / "vm/console.log", pcr17))
        << "the guest never read PCR 17 = " << pcr17;

    EXPECT_EQ(vm->terminate(), 0);
    EXPECT_FALSE(fs::exists(ram));
    EXPECT_FALSE(fs::exists(dir / "vm/tpm.sock"));
}

// The whole runtime inspection as a user runs it: an AK on the guest's TPM,
// the prediction for an intact guest (checked against PCR values computed
// without drtm by tests/support/inspection_pcrs.py), an inspection measured
// and quoted into evidence the verifier affirms; then one byte changed in
// the paused guest: named by symbol, measured into PCR 19, and refused by
// the same policy. The guest sees the inspector's launch in its own TPM and
// keeps running.
TEST_F(VmCli, InspectionIsMeasuredQuotedAndAppraised) {
    const fs::path& dir = dir_;
    const std::string vmlinuz = (kArtifacts / "vmlinuz").string();
    nlohmann::json ready;
    auto vm = run_debian_guest(dir / "vm", ready);
    ASSERT_FALSE(ready.is_null()) << "drtm vm run printed no ready line";
    const std::string tcti = ready["tcti"];
    const std::string keys = (dir / "keys.json").string();
    auto made =
        run_command(drtm_cmd("attest keys --tcti " + quote(tcti) + " --out " + quote(keys)));
    ASSERT_EQ(made.status, 0) << made.err;

    // Golden values, computed without drtm. The LSMs Debian's 6.1 kernel
    // runs with its default CONFIG_LSM and command line (its hook arrays
    // seen on the guest), for PCR 20.
    const std::string lsms =
        "capability_hooks tomoyo_hooks apparmor_hooks yama_hooks "
        "lockdown_hooks bpf_lsm_hooks landlock_hooks";
    auto independent =
        run_command("python3 " + quote(DRTM_TEST_SUPPORT_DIR "/inspection_pcrs.py") + " --lsms " +
                    quote(lsms) + " " + quote(DRTM_BINARY) + " " + quote(vmlinuz));
    ASSERT_EQ(independent.status, 0) << independent.err;
    const auto expected = nlohmann::json::parse(independent.out);

    // Without the LSMs, PCR 20 is not predicted (and so not held).
    auto unknown = run_command(drtm_cmd("inspect --predict --json --kernel " + quote(vmlinuz)));
    ASSERT_EQ(unknown.status, 0) << unknown.err;
    EXPECT_FALSE(nlohmann::json::parse(unknown.out)["pcrs"]["sha256"].contains("20"));
    EXPECT_EQ(nlohmann::json::parse(unknown.out)["unpredicted_pcrs"], nlohmann::json({20}));
    // A name the kernel has no hooks for would give a prediction no guest
    // matches: refused.
    auto typo = run_command(
        drtm_cmd("inspect --predict --json --kernel " + quote(vmlinuz) + " --lsms aparmor"));
    EXPECT_EQ(typo.status, 105) << typo.out << typo.err;
    EXPECT_NE(typo.err.find("'aparmor' is no LSM the golden kernel has hooks for"),
              std::string::npos)
        << typo.err;
    auto predicted = run_command(drtm_cmd("inspect --predict --json --kernel " + quote(vmlinuz) +
                                          " --lsms apparmor,bpf_lsm,capability,landlock,lockdown,"
                                          "tomoyo,yama"));
    ASSERT_EQ(predicted.status, 0) << predicted.err;
    const auto prediction = nlohmann::json::parse(predicted.out);
    for (const char* pcr : {"17", "18", "19", "20"})
        EXPECT_EQ(prediction["pcrs"]["sha256"][pcr], expected[pcr]) << "PCR " << pcr;
    const fs::path policy = dir / "policy.json";
    drtm::binary::write_file_atomic(
        policy, std::string_view(nlohmann::json({{"format", "drtm-appraisal-policy"},
                                                 {"version", 1},
                                                 {"id", "inspected-linux"},
                                                 {"reference_values", {prediction}}})
                                     .dump()));

    const std::string inspect = drtm_cmd("inspect --vm " + quote((dir / "vm").string()) +
                                         " --kernel " + quote(vmlinuz) + " --keys " + quote(keys));
    auto appraise = [&](const std::string& evidence, const std::string& nonce) {
        return run_command(drtm_cmd("attest verify --evidence " + quote(evidence) + " --nonce " +
                                    nonce + " --keys " + quote(keys) + " --policy " +
                                    quote(policy.string())));
    };

    const std::string nonce1 = "0123456789abcdef0123456789abcdef";
    const std::string evidence1 = (dir / "clean.json").string();
    auto clean =
        run_command(inspect + " --json --nonce " + nonce1 + " --evidence " + quote(evidence1));
    ASSERT_EQ(clean.status, 0) << clean.out << clean.err;
    auto report = nlohmann::json::parse(clean.out);
    EXPECT_EQ(report["verdict"], "intact");
    EXPECT_EQ(report["text"]["bytes_unexplained"], 0);
    EXPECT_GT(report["text"]["bytes_differing_raw"].get<int>(), 0);
    EXPECT_LT(report["pause_ms"]["window"].get<double>(), 1000.0);
    // The pause's critical section, as root (CI's tests run as root).
    if (::geteuid() == 0) {
        EXPECT_TRUE(report["pause_ms"]["realtime"].get<bool>());
        EXPECT_TRUE(report["pause_ms"]["cpus_polling"].get<bool>());
    }
    EXPECT_TRUE(report["measurement"]["verified"].get<bool>());
    EXPECT_TRUE(report["page_tables"]["maps_the_copy"].get<bool>()) << report["page_tables"];
    EXPECT_EQ(report["platform"], "native");
    EXPECT_EQ(report["idt"]["gates_checked"], 256);
    EXPECT_EQ(report["idt"]["problems"], nlohmann::json::array());
    EXPECT_EQ(report["lsm_hooks"]["lsms"],
              "apparmor bpf_lsm capability landlock lockdown tomoyo yama");
    for (const char* pcr : {"17", "18", "19", "20"})
        EXPECT_EQ(report["measurement"]["pcrs"]["sha256"][pcr], expected[pcr]) << "PCR " << pcr;
    // A dom0 needs a Xen: this guest runs none, as its vm.json says.
    auto no_xen = run_command(drtm_cmd("inspect --no-measure --vm " + quote((dir / "vm").string()) +
                                       " --kernel " + quote(vmlinuz) + " --xen " +
                                       quote((kArtifacts / "xen-syms").string())));
    EXPECT_EQ(no_xen.status, 1) << no_xen.out << no_xen.err;
    EXPECT_NE(no_xen.err.find("says no Xen runs this guest"), std::string::npos) << no_xen.err;
    auto affirmed = appraise(evidence1, nonce1);
    EXPECT_EQ(affirmed.status, 0) << affirmed.out << affirmed.err;
    EXPECT_NE(affirmed.out.find("status: affirming"), std::string::npos) << affirmed.out;
    auto log_verify =
        run_command(drtm_cmd("log verify " + quote((dir / "vm/inspection-eventlog.bin").string()) +
                             " --tcti " + quote(tcti)));
    EXPECT_EQ(log_verify.status, 0) << log_verify.out << log_verify.err;

    // The guest reads the inspector's launch from its own TPM.
    EXPECT_TRUE(guest_reads_pcr17(dir / "vm/console.log", expected["17"]))
        << "the guest never read PCR 17 = " << expected["17"];

    // One byte changed in the paused guest's kernel.
    change_kernel_byte(ready);
    const std::string nonce2 = "fedcba9876543210fedcba9876543210";
    const std::string evidence2 = (dir / "modified.json").string();
    auto modified = run_command(inspect + " --nonce " + nonce2 + " --evidence " + quote(evidence2));
    EXPECT_EQ(modified.status, 2) << modified.out << modified.err;
    EXPECT_NE(modified.out.find("verdict: modified"), std::string::npos) << modified.out;
    EXPECT_NE(modified.out.find("differs at cmdline_find_option_bool+0x"), std::string::npos)
        << modified.out;
    EXPECT_NE(modified.out.find("PCR 17 sha256 " + expected["17"].get<std::string>()),
              std::string::npos)
        << modified.out;
    EXPECT_EQ(modified.out.find("PCR 19 sha256 " + expected["19"].get<std::string>()),
              std::string::npos)
        << "the changed byte must change PCR 19\n"
        << modified.out;
    // The log's last PCR 19 record lists what was found.
    const auto log = drtm::binary::read_text_file(dir / "vm/inspection-eventlog.bin");
    const auto findings = log.find("drtm-inspect findings\ntext 0x");
    ASSERT_NE(findings, std::string::npos);
    EXPECT_NE(log.find(" cmdline_find_option_bool+0x", findings), std::string::npos);
    auto refused = appraise(evidence2, nonce2);
    EXPECT_NE(refused.status, 0) << refused.out;
    EXPECT_NE(refused.out.find("FAILED reference_values"), std::string::npos) << refused.out;

    // The guest still runs: its counter moves on.
    const auto console = drtm::binary::read_text_file(dir / "vm/console.log").size();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_GT(drtm::binary::read_text_file(dir / "vm/console.log").size(), console);
    EXPECT_EQ(vm->terminate(), 0);
}

// The inspection as a fleet operator runs it: the guest's TPM enrolled with
// the verifier service, the prediction stored as the node's policy, and
// `drtm inspect --verifier` sending the quoted inspection the way `drtm
// agent attest` does. Intact: affirming. One byte changed: the service
// refuses the reference values, and inspect exits 2.
TEST_F(VmCli, TheVerifierServiceAppraisesInspections) {
    const fs::path& dir = dir_;
    const auto p = [&](const char* f) { return quote((dir / f).string()); };
    const std::string vmlinuz = (kArtifacts / "vmlinuz").string();
    nlohmann::json ready;
    auto vm = run_debian_guest(dir / "vm", ready);
    ASSERT_FALSE(ready.is_null()) << "drtm vm run printed no ready line";
    const std::string tcti = " --tcti " + quote(ready["tcti"].get<std::string>());

    auto r = run_command(drtm_cmd("attest keys" + tcti + " --out " + p("keys.json")));
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string v = " --dir " + p("verifier");
    ASSERT_EQ(run_command(drtm_cmd("verifier init" + v)).status, 0);
    r = run_command(drtm_cmd("verifier client-cert" + v + " --name guest-1 --out " + p("agent")));
    ASSERT_EQ(r.status, 0) << r.err;
    // swtpm_setup gave the guest's TPM no EK certificate.
    testsupport::ServeProcess server(dir / "verifier", "--allow-no-ek-certificate");
    const std::string admin = v + " --url " + server.url();
    r = run_command(drtm_cmd("agent enroll --verifier " + server.url() + " --identity " +
                             p("agent") + tcti + " --keys " + p("keys.json")));
    ASSERT_EQ(r.status, 0) << r.out << r.err;

    r = run_command(drtm_cmd("inspect --predict --json --kernel " + quote(vmlinuz)));
    ASSERT_EQ(r.status, 0) << r.err;
    drtm::binary::write_file_atomic(
        dir / "policy.json",
        std::string_view(nlohmann::json({{"format", "drtm-appraisal-policy"},
                                         {"version", 1},
                                         {"id", "inspected-linux"},
                                         {"reference_values", {nlohmann::json::parse(r.out)}}})
                             .dump()));
    ASSERT_EQ(run_command(drtm_cmd("verifier policy" + admin + " " + p("policy.json"))).status, 0);
    ASSERT_EQ(
        run_command(drtm_cmd("verifier assign guest-1 --policy inspected-linux" + admin)).status,
        0);

    const std::string inspect =
        drtm_cmd("inspect --vm " + p("vm") + " --kernel " + quote(vmlinuz) + " --keys " +
                 p("keys.json") + " --verifier " + server.url() + " --identity " + p("agent"));
    r = run_command(inspect + " --json");
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["verdict"], "intact");
    EXPECT_EQ(report["attestation"]["status"], "affirming") << report["attestation"].dump();

    // One byte changed in the paused guest's kernel.
    change_kernel_byte(ready);
    r = run_command(inspect);
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    EXPECT_NE(r.out.find("verdict: modified"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("failed:reference_values"), std::string::npos) << r.out;
    r = run_command(drtm_cmd("verifier history guest-1" + admin));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("affirming"), std::string::npos) << r.out;
    EXPECT_EQ(vm->terminate(), 0);
}

// `vm run --launch-dce`: the guest starts with PCR 17-22 of a launch of its
// own kernel, as `drtm predict` states them, and reads the DRTM log from
// fw_cfg: the same bytes (SHA-256 by OpenSSL) as the log the host wrote,
// which replays to the guest's TPM.
TEST_F(VmCli, ABootTimeLaunchGivesTheGuestItsPcrsAndLog) {
    const fs::path& dir = dir_;
    const std::string vmlinuz = (kArtifacts / "vmlinuz").string();
    const std::string initrd = (kArtifacts / "guest-initrd.img").string();
    const std::string skl = (dir / "skl.bin").string();
    ASSERT_EQ(run_command(drtm_cmd("image make-test-dce --flavour amd --out " + quote(skl))).status,
              0);
    testsupport::BackgroundCommand vm({DRTM_BINARY, "vm", "run", "--dir", (dir / "vm").string(),
                                       "--kernel", vmlinuz, "--initrd", initrd, "--launch-dce", skl,
                                       "--wait-for", "GUEST-READY", "--json"});
    const auto line = vm.first_line(150000);
    ASSERT_FALSE(line.empty()) << "drtm vm run --launch-dce printed no ready line";
    const auto ready = nlohmann::json::parse(line);
    ASSERT_TRUE(ready.contains("boot_launch")) << line;
    EXPECT_TRUE(ready["boot_launch"]["verified"].get<bool>());

    auto predicted = run_command(drtm_cmd(
        "predict --json --flavour amd --dce " + quote(skl) + " --kernel " + quote(vmlinuz) +
        " --initrd " + quote(initrd) + " --cmdline " + quote(drtm::inspect::kDefaultLinuxAppend)));
    ASSERT_EQ(predicted.status, 0) << predicted.err;
    const auto prediction = nlohmann::json::parse(predicted.out)["pcrs"]["sha256"];
    const auto console = drtm::binary::read_text_file(dir / "vm/console.log");
    for (int pcr = 17; pcr <= 22; ++pcr)
        EXPECT_EQ(testsupport::guest_pcr_sha256(console, pcr),
                  prediction[std::to_string(pcr)].get<std::string>())
            << "PCR " << pcr << "\n"
            << console.substr(console.size() > 3000 ? console.size() - 3000 : 0);

    const auto log = drtm::binary::read_file(dir / "vm/drtm-eventlog.bin");
    EXPECT_EQ(testsupport::guest_log_sha256(console),
              ref::hex(ref::digest("SHA256", ref::Bytes(log.begin(), log.end()))));
    auto verified =
        run_command(drtm_cmd("log verify " + quote((dir / "vm/drtm-eventlog.bin").string()) +
                             " --tcti " + quote(ready["tcti"].get<std::string>())));
    EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
    EXPECT_EQ(vm.terminate(), 0);
}
