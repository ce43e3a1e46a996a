// End to end, as a user runs it: the drtm command launches Debian's real
// kernel (and Debian's Xen) on an emulated platform it started, and the DRTM
// log it writes verifies against the TPM. Independent checks: PCR 17 from the
// files with OpenSSL, and tpm2_eventlog accepting the log.
// The images come from scripts/fetch-artifacts.sh, which `make test` runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "binary/file_io.hpp"
#include "support/openssl_ref.hpp"
#include "support/run_command.hpp"

namespace fs = std::filesystem;
using testsupport::drtm_cmd;
using testsupport::quote;
using testsupport::run_command;

namespace {

const fs::path kArtifacts = DRTM_ARTIFACTS_DIR;

ref::Bytes read(const fs::path& p) {
    auto b = drtm::binary::read_file(p);
    return ref::Bytes(b.begin(), b.end());
}

class DebianKernelLaunch : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const char* f : {"vmlinuz", "initrd.img", "xen.gz"})
            ASSERT_TRUE(fs::exists(kArtifacts / f))
                << (kArtifacts / f)
                << " is missing: run scripts/fetch-artifacts.sh (make test does)";
        dir_ = fs::temp_directory_path() / ("drtm-e2e-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        auto r =
            run_command(drtm_cmd("platform start --state " + quote((dir_ / "platform").string())));
        ASSERT_EQ(r.status, 0) << r.err;
        tcti_ = r.out.substr(0, r.out.find('\n'));
        ASSERT_EQ(tcti_.rfind("swtpm:path=", 0), 0u) << tcti_;
        for (const char* f : {"amd", "intel"}) {
            auto m =
                run_command(drtm_cmd(std::string("image make-test-dce --flavour ") + f + " --out " +
                                     quote((dir_ / (std::string(f) + "-dce.bin")).string())));
            ASSERT_EQ(m.status, 0) << m.err;
        }
    }
    void TearDown() override {
        auto r =
            run_command(drtm_cmd("platform stop --state " + quote((dir_ / "platform").string())));
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.out, "stopped\n");
        fs::remove_all(dir_);
    }

    testsupport::CommandResult launch_linux(const std::string& flavour) {
        return run_command(drtm_cmd("launch --tcti " + quote(tcti_) + " --flavour " + flavour +
                                    " --dce " + quote((dir_ / (flavour + "-dce.bin")).string()) +
                                    " --kernel " + quote((kArtifacts / "vmlinuz").string()) +
                                    " --initrd " + quote((kArtifacts / "initrd.img").string()) +
                                    " --cmdline 'console=ttyS0 root=/dev/ram0'" + " --out " +
                                    quote((dir_ / flavour).string())));
    }

    nlohmann::json summary(const std::string& flavour) {
        auto b = drtm::binary::read_file(dir_ / flavour / "summary.json");
        return nlohmann::json::parse(b.begin(), b.end());
    }

    fs::path dir_;
    std::string tcti_;
};

}  // namespace

TEST_F(DebianKernelLaunch, AmdLaunchVerifiesAndPcr17MatchesOpenSslFromTheFiles) {
    auto r = launch_linux("amd");
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("MATCH"), std::string::npos) << r.out;
    auto v = run_command(drtm_cmd("log verify " + quote((dir_ / "amd/eventlog.bin").string()) +
                                  " --tcti " + quote(tcti_)));
    EXPECT_EQ(v.status, 0) << v.out << v.err;
    EXPECT_NE(v.out.find("OK: 12 PCR values match, 0 differ"), std::string::npos) << v.out;

    // measurements.md §2: E(E(E(E(0, H(SLB[0:SL_SIZE])), H(le32(0))), H(DLME)), H(initrd)),
    // the DLME being the protected-mode part zero-filled to page_align(init_size).
    auto slb = read(dir_ / "amd-dce.bin");
    auto kernel = read(kArtifacts / "vmlinuz");
    unsigned setup_sects = kernel.at(0x1F1) ? kernel.at(0x1F1) : 4;
    ref::Bytes dlme(kernel.begin() + (setup_sects + 1) * 512, kernel.end());
    dlme.resize((ref::read_le(kernel, 0x260, 4) + 4095) / 4096 * 4096, 0);
    auto s = summary("amd");
    for (auto [alg, bank, n] :
         {std::tuple{"SHA1", "sha1", 20}, std::tuple{"SHA256", "sha256", 32}}) {
        auto pcr = ref::zeros(n);
        pcr = ref::extend(
            alg, pcr,
            ref::digest(alg, ref::Bytes(slb.begin(), slb.begin() + ref::read_le(slb, 2, 2))));
        pcr = ref::extend(alg, pcr, ref::digest(alg, ref::le32(0)));
        pcr = ref::extend(alg, pcr, ref::digest(alg, dlme));
        pcr = ref::extend(alg, pcr, ref::digest(alg, read(kArtifacts / "initrd.img")));
        EXPECT_EQ(s["tpm_pcrs"][bank]["17"], ref::hex(pcr)) << bank;
    }
}

TEST_F(DebianKernelLaunch, IntelLaunchVerifiesAndReplacesTheAmdState) {
    ASSERT_EQ(launch_linux("amd").status, 0);
    auto r = launch_linux("intel");
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    auto v = run_command(drtm_cmd("log verify " + quote((dir_ / "intel/eventlog.bin").string()) +
                                  " --tcti " + quote(tcti_)));
    EXPECT_EQ(v.status, 0) << v.out;
    // The Intel launch reset PCR 17-22: the AMD log no longer describes the TPM.
    auto old = run_command(drtm_cmd("log verify " + quote((dir_ / "amd/eventlog.bin").string()) +
                                    " --tcti " + quote(tcti_)));
    EXPECT_EQ(old.status, 1) << old.out;
    EXPECT_NE(old.out.find("MISMATCH sha256 PCR 17"), std::string::npos) << old.out;
}

TEST_F(DebianKernelLaunch, ReplayJsonHasThePcrsOfEveryBank) {
    ASSERT_EQ(launch_linux("amd").status, 0);
    auto r =
        run_command(drtm_cmd("log replay --json " + quote((dir_ / "amd/eventlog.bin").string())));
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    auto s = summary("amd");
    for (const char* bank : {"sha1", "sha256"})
        for (const char* pcr : {"17", "18"})
            EXPECT_EQ(j["pcrs"][bank][pcr], s["tpm_pcrs"][bank][pcr]);
}

TEST_F(DebianKernelLaunch, Tpm2EventlogAcceptsTheLog) {
    if (::system("command -v tpm2_eventlog >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "tpm2-tools not installed";
    ASSERT_EQ(launch_linux("amd").status, 0);
    auto trimmed = dir_ / "amd-trimmed.bin";
    ASSERT_EQ(run_command(drtm_cmd("log trim " + quote((dir_ / "amd/eventlog.bin").string()) +
                                   " --out " + quote(trimmed.string())))
                  .status,
              0);
    auto t = run_command("tpm2_eventlog " + quote(trimmed.string()));
    ASSERT_EQ(t.status, 0) << t.err;
    // tpm2_eventlog replays every record, including the Secure Launch markers
    // Linux does not extend (they sit in PCR 17), so compare PCR 18, which has none.
    auto s = summary("amd");
    std::smatch m;
    for (const char* bank : {"sha1", "sha256"}) {
        std::regex re(std::string(bank) +
                      R"(:\s*\n(?:\s+\d+ : 0x[0-9a-fA-F]+\n)*?\s+18 : 0x([0-9a-fA-F]+))");
        ASSERT_TRUE(std::regex_search(t.out, m, re)) << t.out;
        std::string value = m[1];
        std::transform(value.begin(), value.end(), value.begin(), ::tolower);
        EXPECT_EQ(value, s["tpm_pcrs"][bank]["18"]) << bank;
    }
    EXPECT_NE(t.out.find("Event: \"534b494e4954\""), std::string::npos)
        << "the SKINIT record, as hex";
    EXPECT_NE(t.out.find("- EventNum: 9"), std::string::npos) << "all ten records read";
}

TEST_F(DebianKernelLaunch, XenWithDom0KernelAndInitrdVerifies) {
    for (const std::string flavour : {"amd", "intel"}) {
        auto r = run_command(
            drtm_cmd("launch --json --tcti " + quote(tcti_) + " --flavour " + flavour + " --dce " +
                     quote((dir_ / (flavour + "-dce.bin")).string()) + " --xen " +
                     quote((kArtifacts / "xen.gz").string()) +
                     " --xen-cmdline 'console=com1 dom0_mem=1024M' --module " +
                     quote((kArtifacts / "vmlinuz").string() + ":console=hvc0 root=/dev/ram0") +
                     " --module " + quote((kArtifacts / "initrd.img").string()) + " --out " +
                     quote((dir_ / ("xen-" + flavour)).string())));
        ASSERT_EQ(r.status, 0) << r.out << r.err;
        auto j = nlohmann::json::parse(r.out);
        EXPECT_TRUE(j["verified"].get<bool>());
        EXPECT_TRUE(j["dlme"]["xen"]["gzip"].get<bool>());
        EXPECT_EQ(j["dlme"]["modules"].size(), 2u);
    }
}

TEST_F(DebianKernelLaunch, PredictionEqualsTheLaunch) {
    const std::string artifacts = " --kernel " + quote((kArtifacts / "vmlinuz").string()) +
                                  " --initrd " + quote((kArtifacts / "initrd.img").string()) +
                                  " --cmdline 'console=ttyS0 root=/dev/ram0'";
    for (const std::string flavour : {"amd", "intel"}) {
        auto p = run_command(drtm_cmd("predict --json --flavour " + flavour + " --dce " +
                                      quote((dir_ / (flavour + "-dce.bin")).string()) + artifacts));
        ASSERT_EQ(p.status, 0) << p.err;
        ASSERT_EQ(launch_linux(flavour).status, 0);
        auto predicted = nlohmann::json::parse(p.out)["pcrs"];
        auto s = summary(flavour);
        for (const char* bank : {"sha1", "sha256"})
            for (const char* pcr : {"17", "18", "19", "20", "21", "22"})
                EXPECT_EQ(predicted[bank][pcr], s["tpm_pcrs"][bank][pcr])
                    << flavour << " " << bank << " " << pcr;
    }
    // Intel from the reference log of the launch that just happened.
    auto r = run_command(drtm_cmd(
        "predict --json --flavour intel --dce " + quote((dir_ / "intel-dce.bin").string()) +
        artifacts + " --reference-log " + quote((dir_ / "intel/eventlog.bin").string())));
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["dce_source"], "reference_log");
    EXPECT_EQ(j["pcrs"]["sha256"]["17"], summary("intel")["tpm_pcrs"]["sha256"]["17"]);
}

// The Anti-Evil-Maid update flow with Debian's kernel: a keyfile sealed to
// the running launch, the update (a new initrd) approved before the reboot,
// unsealed after it, and the old launch refused from then on.
TEST_F(DebianKernelLaunch, UpdateApprovedBeforeTheRebootUnsealsAfterIt) {
    ASSERT_EQ(launch_linux("amd").status, 0);
    const auto d = [&](const char* name) { return quote((dir_ / name).string()); };
    drtm::binary::write_file_atomic(dir_ / "keyfile", std::string_view("0123456789abcdef"));
    auto r = run_command(drtm_cmd("seal --tcti " + quote(tcti_) + " --dir " + d("store") +
                                  " --in " + d("keyfile") + " --key " + d("owner.pem")));
    ASSERT_EQ(r.status, 0) << r.err;

    // The update: the same kernel with a rebuilt initrd.
    auto initrd = drtm::binary::read_file(kArtifacts / "initrd.img");
    initrd.push_back(0);
    drtm::binary::write_file_atomic(dir_ / "initrd.new", drtm::binary::ByteView(initrd));
    const std::string next = " --flavour amd --dce " + d("amd-dce.bin") + " --kernel " +
                             quote((kArtifacts / "vmlinuz").string()) + " --initrd " +
                             d("initrd.new") + " --cmdline 'console=ttyS0 root=/dev/ram0'";
    r = run_command(drtm_cmd("update check --tcti " + quote(tcti_) + " --log " +
                             quote((dir_ / "amd/eventlog.bin").string()) + next + " --authorize " +
                             d("store")));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("PCR 17 changes"), std::string::npos) << r.out;

    r = run_command(drtm_cmd("launch --tcti " + quote(tcti_) + next + " --out " + d("next")));
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_command(drtm_cmd("unseal --tcti " + quote(tcti_) + " --dir " + d("store")));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "0123456789abcdef");

    ASSERT_EQ(launch_linux("amd").status, 0);  // back to the old initrd
    r = run_command(drtm_cmd("unseal --tcti " + quote(tcti_) + " --dir " + d("store")));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("revoked"), std::string::npos) << r.err;
}
