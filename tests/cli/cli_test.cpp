// The drtm command as a user meets it: help, exit codes, and errors that name
// the file, the byte offset and the reason for bad input.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>
#include "binary/file_io.hpp"
#include "image/synthetic_bzimage.hpp"
#include "support/run_command.hpp"

namespace fs = std::filesystem;
using testsupport::drtm_cmd;
using testsupport::quote;
using testsupport::run_command;

namespace {

class Cli : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-cli-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path write(const std::string& name, const drtm::binary::Bytes& b) {
        drtm::binary::write_file_atomic(dir_ / name, drtm::binary::ByteView(b));
        return dir_ / name;
    }
    fs::path dir_;
};

const fs::path kLogs = fs::path(DRTM_TESTDATA_DIR) / "real-logs";

}  // namespace

TEST_F(Cli, HelpListsTheCommands) {
    auto r = run_command(drtm_cmd("--help"));
    EXPECT_EQ(r.status, 0);
    for (const char* c : {"launch", "log", "pcr", "slrt", "image", "platform"})
        EXPECT_NE(r.out.find(c), std::string::npos) << c;
    EXPECT_EQ(run_command(drtm_cmd("launch --help")).status, 0);
}

TEST_F(Cli, NoCommandIsAUsageError) {
    auto r = run_command(drtm_cmd(""));
    EXPECT_NE(r.status, 0);
    EXPECT_FALSE(r.err.empty());
}

TEST_F(Cli, TruncatedLogNamesFileAndOffset) {
    auto log = drtm::binary::read_file(kLogs / "go-tpm-tools/arch-linux-workstation.bin");
    log.resize(100);  // inside the second record
    auto f = write("cut.bin", log);
    auto r = run_command(drtm_cmd("log show " + quote(f.string())));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find(f.string() + ": offset 0x"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
}

TEST_F(Cli, GarbageSlrtNamesFileAndOffset) {
    auto f = write("slrt.bin", drtm::binary::Bytes(64, 0x41));
    auto r = run_command(drtm_cmd("slrt show " + quote(f.string())));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find(f.string() + ": offset 0x0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("magic"), std::string::npos) << r.err;
}

TEST_F(Cli, BadDceIsRefusedBeforeAnyTpmWork) {
    auto f = write("dce.bin", drtm::binary::Bytes(100, 0));
    auto k = write("k", drtm::binary::Bytes(10, 0));
    auto r = run_command(drtm_cmd(
        "launch --tcti swtpm:path=/nonexistent/tpm.sock --flavour amd --dce " + quote(f.string()) +
        " --kernel " + quote(k.string()) + " --out " + quote((dir_ / "out").string())));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find(f.string() + ": offset 0x"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(Cli, BadPcrListIsAUsageError) {
    auto r = run_command(drtm_cmd("pcr read --tcti swtpm:path=/x --pcrs 17,99"));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("99"), std::string::npos) << r.err;
}

TEST_F(Cli, VerifyAgainstRecordedPcrValues) {
    // go-tpm-tools recorded PCR 0-7 of this GCE boot; the log must replay to them.
    auto log = kLogs / "go-tpm-tools/debian-10.bin";
    auto good = run_command(drtm_cmd("log verify " + quote(log.string()) + " --pcrs-json " +
                                     quote((kLogs / "go-tpm-tools/debian-10.pcrs.json").string())));
    EXPECT_EQ(good.status, 0) << good.out << good.err;
    // The same log against another machine's values must fail.
    auto bad = run_command(drtm_cmd("log verify " + quote(log.string()) + " --pcrs-json " +
                                    quote((kLogs / "go-tpm-tools/rhel8-uefi.pcrs.json").string()) +
                                    " --banks sha1"));
    EXPECT_EQ(bad.status, 1) << bad.out << bad.err;
    EXPECT_NE(bad.out.find("MISMATCH sha1 PCR 4"), std::string::npos) << bad.out;
}

TEST_F(Cli, ImageShowRecognisesTheTestDces) {
    auto amd = dir_ / "skl.bin";
    ASSERT_EQ(
        run_command(drtm_cmd("image make-test-dce --flavour amd --out " + quote(amd.string())))
            .status,
        0);
    auto r = run_command(drtm_cmd("image show " + quote(amd.string())));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("\"kind\": \"slb\""), std::string::npos) << r.out;
    auto junk = write("junk", drtm::binary::Bytes(300, 7));
    auto j = run_command(drtm_cmd("image show " + quote(junk.string())));
    EXPECT_EQ(j.status, 1);
    EXPECT_NE(j.err.find("not a recognised boot image"), std::string::npos) << j.err;
}

TEST_F(Cli, PlatformStatusOfNothingIsNotRunning) {
    auto r = run_command(drtm_cmd("platform status --state " + quote((dir_ / "none").string())));
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.out, "not running\n");
}

TEST_F(Cli, PredictGivesOneResultPerCommandLine) {
    auto kernel = write("vmlinuz", image_test::make_synthetic_bzimage());
    auto skl = dir_ / "skl.bin";
    ASSERT_EQ(
        run_command(drtm_cmd("image make-test-dce --flavour amd --out " + quote(skl.string())))
            .status,
        0);
    const std::string base = "predict --json --flavour amd --dce " + quote(skl.string()) +
                             " --kernel " + quote(kernel.string());
    auto r =
        run_command(drtm_cmd(base + " --cmdline 'console=ttyS0 quiet' --cmdline 'init=/bin/sh'"));
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["variants"].size(), 2u);
    EXPECT_EQ(j["variants"][0]["variant"]["cmdline"], "console=ttyS0 quiet");
    // Only the command line differs: PCR 17 (DCE, kernel) equal, PCR 18 not.
    EXPECT_EQ(j["variants"][0]["pcrs"]["sha256"]["17"], j["variants"][1]["pcrs"]["sha256"]["17"]);
    EXPECT_NE(j["variants"][0]["pcrs"]["sha256"]["18"], j["variants"][1]["pcrs"]["sha256"]["18"]);
    // An unquoted command line is not silently split into variants.
    EXPECT_NE(run_command(drtm_cmd(base + " --cmdline console=ttyS0 quiet")).status, 0);
    // launch takes one of each.
    auto l =
        run_command(drtm_cmd("launch --flavour amd --dce " + quote(skl.string()) + " --kernel " +
                             quote(kernel.string()) + " --cmdline a --cmdline b --out " +
                             quote((dir_ / "out").string())));
    EXPECT_NE(l.status, 0);
    EXPECT_NE(l.err.find("at most once"), std::string::npos) << l.err;
}

TEST_F(Cli, MoreRecordWritersThanDatabaseConnectionsIsAUsageError) {
    auto init = run_command(drtm_cmd("verifier init --dir " + quote((dir_ / "v").string())));
    ASSERT_EQ(init.status, 0) << init.err;
    auto r = run_command(drtm_cmd("verifier serve --dir " + quote((dir_ / "v").string()) +
                                  " --listen 127.0.0.1:0 --allow-no-ek-certificate"
                                  " --db-connections 2 --record-writers 3"));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("--record-writers"), std::string::npos) << r.err;
}
