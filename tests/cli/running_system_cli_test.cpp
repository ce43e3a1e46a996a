// drtm log read / show / replay / verify with no file, and drtm txt status,
// against fixture trees given with --root or DRTM_ROOT: a /dev/mem holding a
// real server's TXT heap (intel-secl's txt_heap_info.bin). The replay is
// checked against tpm2_eventlog's on the file `log read` wrote.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "support/fixture_tree.hpp"
#include "support/run_command.hpp"

namespace fs = std::filesystem;
using testsupport::drtm_cmd;
using testsupport::quote;
using testsupport::run_command;

namespace {

// TXT registers and the heap in the fixture's /dev/mem.
void install_txt_machine(test::FixtureTree& t) {
    t.install_intel_secl_heap(0x1000);
    t.poke64(0xFED30000 + 0x000, 0x100c1);
    t.poke64(0xFED30000 + 0x030, 0xc0000001);
    t.poke64(0xFED30000 + 0x110, 0x00000001b0038086);
    t.poke64(0xFED30000 + 0x8F0, 0);
}

// "17 : 0x<hex>" under "sha256:" in tpm2_eventlog's output.
std::string tpm2_eventlog_sha256(const std::string& out, int pcr) {
    auto at = out.find("sha256:", out.find("pcrs:"));
    std::regex line("\\s*" + std::to_string(pcr) + " : 0x([0-9a-fA-F]+)");
    std::smatch m;
    std::string rest = out.substr(at);
    if (!std::regex_search(rest, m, line)) return "";
    std::string hex = m[1];
    for (auto& c : hex) c = static_cast<char>(std::tolower(c));
    return hex;
}

}  // namespace

TEST(RunningSystemCli, LogReadWritesTheHeapLogAndSaysWhereItWasFound) {
    test::FixtureTree t;
    install_txt_machine(t);
    const auto out = t.root() / "drtm.log";
    auto r =
        run_command(drtm_cmd("log read --json --root " + quote(t.root()) + " --out " + quote(out)));
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["source"], "txt-heap");
    EXPECT_EQ(j["records"], 20);
    EXPECT_EQ(j["log_bytes"], 0x6BA);
    EXPECT_EQ(j["skipped"].size(), 2u);
    EXPECT_NE(r.err.find("DRTM log from txt-heap"), std::string::npos) << r.err;
    EXPECT_EQ(test::read_bytes(out), test::intel_secl_heap_log());

    // The same PCRs as tpm2-tools computes from the file drtm wrote.
    auto tools = run_command("tpm2_eventlog " + quote(out));
    ASSERT_EQ(tools.status, 0) << tools.err;
    auto replay = run_command("DRTM_ROOT=" + quote(t.root()) + " " + drtm_cmd("log replay --json"));
    ASSERT_EQ(replay.status, 0) << replay.err;
    auto pcrs = nlohmann::json::parse(replay.out)["pcrs"]["sha256"];
    for (int pcr : {17, 18}) {
        const auto expected = tpm2_eventlog_sha256(tools.out, pcr);
        ASSERT_EQ(expected.size(), 64u) << tools.out;
        EXPECT_EQ(pcrs[std::to_string(pcr)], expected) << "PCR " << pcr;
    }
}

TEST(RunningSystemCli, ShowAndVerifyTakeTheRunningLogWithoutAFile) {
    test::FixtureTree t;
    install_txt_machine(t);
    auto show = run_command(drtm_cmd("log show --root " + quote(t.root())));
    ASSERT_EQ(show.status, 0) << show.err;
    EXPECT_NE(show.out.find("20 records"), std::string::npos) << show.out;

    // Recorded values that disagree with the log: verify must fail.
    t.write("/expected.json", R"({"pcrs": {"sha256": {"17": ")" + std::string(64, '0') + R"("}}})");
    auto verify = run_command(drtm_cmd("log verify --root " + quote(t.root()) + " --pcrs-json " +
                                       quote(t.root() / "expected.json")));
    EXPECT_EQ(verify.status, 1) << verify.out << verify.err;
    EXPECT_NE(verify.out.find("MISMATCH sha256 PCR 17"), std::string::npos) << verify.out;
}

TEST(RunningSystemCli, WithNothingToFindEveryCommandSaysWhatItLookedFor) {
    test::FixtureTree t;  // an empty machine: no securityfs, no Xen, no /dev/mem
    auto read = run_command(drtm_cmd("log read --root " + quote(t.root())));
    EXPECT_EQ(read.status, 1);
    for (const char* source : {"securityfs:", "xen:", "txt-heap:"})
        EXPECT_NE(read.err.find(source), std::string::npos) << read.err;
    auto show = run_command(drtm_cmd("log show --root " + quote(t.root())));
    EXPECT_EQ(show.status, 1);
    EXPECT_NE(show.err.find("no DRTM event log found"), std::string::npos) << show.err;
    auto txt = run_command(drtm_cmd("txt status --root " + quote(t.root())));
    EXPECT_EQ(txt.status, 1);
    EXPECT_NE(txt.err.find("slaunch/txt"), std::string::npos) << txt.err;
    EXPECT_NE(txt.err.find("dev/mem"), std::string::npos) << txt.err;
    auto bad = run_command(drtm_cmd("log read --source uefi --root " + quote(t.root())));
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.err.find("unknown source"), std::string::npos) << bad.err;
}

TEST(RunningSystemCli, TxtStatusDecodesRegistersAndHeapTables) {
    test::FixtureTree t;
    install_txt_machine(t);
    auto r = run_command(drtm_cmd("txt status --json --root " + quote(t.root())));
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["heap_base"], "0x1000");
    EXPECT_EQ(j["registers"][0]["name"], "TXT.STS");
    EXPECT_EQ(j["registers"][0]["fields"]["SENTER.DONE.STS"], "1");
    EXPECT_EQ(j["registers"][2]["meaning"], "SINIT ACM: success");
    EXPECT_EQ(j["heap"]["bios_data"]["num_logical_processors"], 72);
    EXPECT_EQ(j["heap"]["sinit_mle_data"]["mdrs"].size(), 6u);
    EXPECT_EQ(j["heap"]["log_pointer"]["physical_address"], "0x1014c");

    auto text = run_command(drtm_cmd("txt status --root " + quote(t.root())));
    ASSERT_EQ(text.status, 0) << text.err;
    EXPECT_NE(text.out.find("SMRAM NON-OVERLAY"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("a measured launch (SENTER) has completed"), std::string::npos);
}

TEST(RunningSystemCli, UnderXenTheTranscriptNamedByTheEnvironmentIsUsed) {
    test::FixtureTree t;
    auto log = test::intel_secl_heap_log();
    log.resize(0x8000, 0);
    t.poke(0x7fe9e000, log);
    t.write("/dmesg.txt", "(XEN) SLAUNCH: reserving event log (0x7fe9e000 - 0x7fea6000)\n");
    auto r = run_command("DRTM_XL_DMESG=" + quote(t.root() / "dmesg.txt") + " " +
                         drtm_cmd("log read --json --source xen --root " + quote(t.root())));
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["source"], "xen");
    EXPECT_EQ(j["bytes_read"], 0x8000);
    EXPECT_EQ(j["log_bytes"], 0x6BA);
}

TEST(RunningSystemCli, VerifyWithoutAFileUsesTheRunningSystemsTpm) {
    test::FixtureTree t;
    install_txt_machine(t);
    // The fixture has no TPM: the error names the device drtm tried.
    auto r = run_command(drtm_cmd("log verify --root " + quote(t.root())));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find((t.root() / "dev/tpmrm0").string()), std::string::npos) << r.err;
}

TEST(InputLimitsCli, OversizedLogAndSlrtFilesAreRefusedBeforeTheyAreRead) {
    test::FixtureTree t;
    // Sparse files: their size is what matters, not their contents.
    const auto log = t.root() / "huge.log";
    const auto slrt = t.root() / "huge.slrt";
    fs::resize_file((t.write("/huge.log", std::string("x")), log), (64u << 20) + 1);
    fs::resize_file((t.write("/huge.slrt", std::string("x")), slrt), (1u << 20) + 1);
    auto r = run_command(drtm_cmd("log show " + quote(log)));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("larger than 67108864 bytes, the limit"), std::string::npos) << r.err;
    auto s = run_command(drtm_cmd("slrt show " + quote(slrt)));
    EXPECT_EQ(s.status, 1);
    EXPECT_NE(s.err.find("larger than 1048576 bytes, the limit"), std::string::npos) << s.err;
}
