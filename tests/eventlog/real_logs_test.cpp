// Every real log in testdata parses to the event count the README states and
// replays to the PCR values upstream published for it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "test_support.hpp"

namespace drtm::eventlog {
namespace {

using test::read_expected_pcrs;

struct RealLog {
    const char* path;  // under real-logs/
    std::size_t events;
    LogFormat format;
    const char* pcrs;          // *.pcrs.json under real-logs/, or nullptr
    bool shared_only = false;  // GPL/LGPL: read from /work/shared only
};

std::ostream& operator<<(std::ostream& os, const RealLog& l) {
    return os << l.path;
}

// Counts from testdata/real-logs/README.md (header record included).
const RealLog real_logs[] = {
    {"go-tpm-tools/arch-linux-workstation.bin", 25, LogFormat::crypto_agile,
     "go-tpm-tools/arch-linux-workstation.pcrs.json"},
    {"go-tpm-tools/confidential-gke-debug-251000_eventlog.bin", 55, LogFormat::crypto_agile,
     "go-tpm-tools/confidential-gke-debug-251000_eventlog.pcrs.json"},
    {"go-tpm-tools/cos-85-amd-sev.bin", 46, LogFormat::crypto_agile,
     "go-tpm-tools/cos-85-amd-sev.pcrs.json"},
    {"go-tpm-tools/cos-93-amd-sev.bin", 46, LogFormat::crypto_agile,
     "go-tpm-tools/cos-93-amd-sev.pcrs.json"},
    {"go-tpm-tools/cos-101-amd-sev.bin", 49, LogFormat::crypto_agile,
     "go-tpm-tools/cos-101-amd-sev.pcrs.json"},
    {"go-tpm-tools/debian-10.bin", 25, LogFormat::sha1, "go-tpm-tools/debian-10.pcrs.json"},
    {"go-tpm-tools/eventlogwithsp800155.bin", 54, LogFormat::crypto_agile,
     "go-tpm-tools/eventlogwithsp800155.pcrs.json"},
    {"go-tpm-tools/gdc-host.bin", 159, LogFormat::crypto_agile, "go-tpm-tools/gdc-host.pcrs.json"},
    {"go-tpm-tools/glinux-alex.bin", 29, LogFormat::crypto_agile,
     "go-tpm-tools/glinux-alex.pcrs.json"},
    {"go-tpm-tools/rhel8-uefi.bin", 83, LogFormat::crypto_agile,
     "go-tpm-tools/rhel8-uefi.pcrs.json"},
    {"go-tpm-tools/ubuntu-1804-amd-sev.bin", 88, LogFormat::crypto_agile,
     "go-tpm-tools/ubuntu-1804-amd-sev.pcrs.json"},
    {"go-tpm-tools/ubuntu-2104-no-dbx.bin", 112, LogFormat::crypto_agile,
     "go-tpm-tools/ubuntu-2104-no-dbx.pcrs.json"},
    {"go-tpm-tools/ubuntu-2104-no-secure-boot.bin", 106, LogFormat::crypto_agile,
     "go-tpm-tools/ubuntu-2104-no-secure-boot.pcrs.json"},
    {"go-tpm-tools/ubuntu-2404-amd-sevsnp.bin", 117, LogFormat::crypto_agile,
     "go-tpm-tools/ubuntu-2404-amd-sevsnp.pcrs.json"},
    {"go-attestation/windows_gcp_shielded_vm.eventlog.bin", 21, LogFormat::sha1,
     "go-attestation/windows_gcp_shielded_vm.pcrs.json"},
    {"go-attestation/crypto_agile_eventlog", 27, LogFormat::crypto_agile, nullptr},
    {"go-attestation/option_rom_eventlog", 61, LogFormat::sha1, nullptr},
    {"go-attestation/ebs_event_missing_eventlog", 38, LogFormat::sha1, nullptr},
    {"go-attestation/coreos_36_shielded_vm_no_secure_boot_eventlog", 76, LogFormat::crypto_agile,
     nullptr},
    {"go-eventlog/linux_tpm12.eventlog.bin", 40, LogFormat::sha1,
     "go-eventlog/linux_tpm12.pcrs.json"},
    {"tpm2-tools/event-postcode.bin", 59, LogFormat::crypto_agile,
     "tpm2-tools/event-postcode.pcrs.json"},
    {"tpm2-tools/event-bootorder.bin", 104, LogFormat::crypto_agile,
     "tpm2-tools/event-bootorder.pcrs.json"},
    {"tpm2-tools/event-moklisttrusted.bin", 97, LogFormat::crypto_agile,
     "tpm2-tools/event-moklisttrusted.pcrs.json"},
    {"tpm2-tools/event-sd-boot-fedora37.bin", 28, LogFormat::crypto_agile,
     "tpm2-tools/event-sd-boot-fedora37.pcrs.json"},
    {"tpm2-tools/event-uefi-sha1-log.bin", 17, LogFormat::sha1,
     "tpm2-tools/event-uefi-sha1-log.pcrs.json"},
    {"tpm2-tools/event-arch-linux.bin", 25, LogFormat::crypto_agile,
     "tpm2-tools/event-arch-linux.pcrs.json"},
    {"tpm2-tss/binary_measurements_hcrtm.bin", 204, LogFormat::crypto_agile, nullptr},
    {"tpm2-tss/binary_measurements_pc_client.bin", 33, LogFormat::crypto_agile, nullptr},
    {"keylime/binary_bios_measurements", 121, LogFormat::crypto_agile, nullptr},
    {"keylime/binary_bios_measurements-secureboot", 99, LogFormat::crypto_agile, nullptr},
    {"keylime/mb_log.bin", 102, LogFormat::crypto_agile, nullptr},
    {"rust-keylime/uefi_log.bin", 124, LogFormat::crypto_agile, nullptr},
    {"keylime-perf-tests/uefi_log.bin", 153, LogFormat::crypto_agile, nullptr},
    {"charra/binary_bios_measurements", 108, LogFormat::crypto_agile, nullptr},
    {"intel-secl/txt-logs.bin", 20, LogFormat::crypto_agile, nullptr},
    {"intel-secl/txt_heap_info.bin", 20, LogFormat::crypto_agile, nullptr},
    {"intel-secl/uefi_event_log.bin", 116, LogFormat::crypto_agile, nullptr},
    // GPL-2.0 / LGPL-3.0: tested in place, only when the shared checkout exists.
    {"safeboot/eventlog", 50, LogFormat::crypto_agile, "safeboot/eventlog.pcrs.json", true},
    {"ima-evm-utils/sample-binary_bios_measurements-pcrs-8-9", 162, LogFormat::crypto_agile,
     "ima-evm-utils/sample-binary_bios_measurements-pcrs-8-9.pcrs.json", true},
    {"ima-evm-utils/test_binary_bios_measurements", 47, LogFormat::crypto_agile, nullptr, true},
    {"tcglog-parser/binary_bios_measurements", 115, LogFormat::crypto_agile, nullptr, true},
};

class RealLogTest : public ::testing::TestWithParam<RealLog> {
  protected:
    std::filesystem::path dir() const {
        return GetParam().shared_only ? test::shared_logs_dir() : test::real_logs_dir();
    }
    void SetUp() override {
        if (GetParam().shared_only && !std::filesystem::exists(dir() / GetParam().path))
            GTEST_SKIP() << "GPL/LGPL log not available: " << (dir() / GetParam().path);
    }
};

TEST_P(RealLogTest, ParsesToTheStatedEventCount) {
    const RealLog& l = GetParam();
    EventLog log = read_event_log(dir() / l.path);
    EXPECT_EQ(log.size(), l.events);
    EXPECT_EQ(log.format(), l.format);
    for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].index, i);
}

class RealLogWithPcrsTest : public RealLogTest {};

TEST_P(RealLogWithPcrsTest, ReplaysToThePublishedPcrValues) {
    const RealLog& l = GetParam();
    EventLog log = read_event_log(dir() / l.path);
    test::ExpectedPcrs expected = read_expected_pcrs(dir() / l.pcrs);
    // These are SRTM logs of machines without a dynamic launch: 17–22 read FF.
    ReplayResult r = replay(log, test::no_launch());
    Comparison c = compare(r, expected.values, CompareOptions{expected.not_covered});
    for (const PcrMismatch& m : c.mismatches)
        ADD_FAILURE() << crypto::alg_name(m.bank) << " PCR " << m.pcr << ": " << m.reason
                      << "\n  replayed " << binary::to_hex(m.expected) << "\n  expected "
                      << binary::to_hex(m.actual);
    EXPECT_TRUE(c.banks_not_in_log.empty());
    EXPECT_FALSE(c.matched.empty());
}

std::string test_name(const ::testing::TestParamInfo<RealLog>& info) {
    std::string name = info.param.path;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
}

std::vector<RealLog> logs_with_pcrs() {
    std::vector<RealLog> out;
    for (const RealLog& l : real_logs)
        if (l.pcrs != nullptr) out.push_back(l);
    return out;
}

INSTANTIATE_TEST_SUITE_P(AllLogs, RealLogTest, ::testing::ValuesIn(real_logs), test_name);
INSTANTIATE_TEST_SUITE_P(AllLogs, RealLogWithPcrsTest, ::testing::ValuesIn(logs_with_pcrs()),
                         test_name);

// Quirks the README calls out, one check each.
TEST(RealLogQuirks, StartupLocalityThreeSetsPcr0Initial) {
    for (const char* path : {"go-tpm-tools/glinux-alex.bin", "go-tpm-tools/gdc-host.bin",
                             "keylime/binary_bios_measurements"}) {
        EventLog log = read_event_log(test::real_logs_dir() / path);
        ReplayResult r = replay(log);
        ASSERT_TRUE(r.startup_locality.has_value()) << path;
        EXPECT_EQ(*r.startup_locality, 3) << path;
        const PcrReplay& pcr0 = r.banks[0].pcrs[0];
        EXPECT_EQ(pcr0.initial.back(), 3) << path;
        EXPECT_TRUE(
            binary::all_equal(binary::ByteView(pcr0.initial).first(pcr0.initial.size() - 1), 0));
    }
}

TEST(RealLogQuirks, FfFilledAcpiAreaStopsAtPadding) {
    EventLog log = read_event_log(test::real_logs_dir() / "intel-secl/uefi_event_log.bin");
    EXPECT_EQ(log.end_reason(), EndReason::padding);
    EXPECT_LT(log.end_offset(), log.input().size());
    EXPECT_TRUE(binary::all_equal(log.input().subspan(log.end_offset()), 0xFF));
}

TEST(RealLogQuirks, UnusualBanksAreDeclaredAndReplayed) {
    EventLog sm3 = read_event_log(test::real_logs_dir() / "tpm2-tss/binary_measurements_hcrtm.bin");
    ASSERT_EQ(sm3.algorithms().size(), 3u);
    EXPECT_EQ(sm3.algorithms()[2].alg_id, 0x0012);
    EXPECT_NE(replay(sm3).bank(crypto::HashAlg::sm3_256), nullptr);

    EventLog no_sha1 = read_event_log(test::real_logs_dir() / "keylime-perf-tests/uefi_log.bin");
    ASSERT_EQ(no_sha1.algorithms().size(), 2u);
    EXPECT_EQ(no_sha1.algorithms()[0].alg_id, 0x000B);
    EXPECT_EQ(no_sha1.algorithms()[1].alg_id, 0x000C);
    EXPECT_EQ(no_sha1.spec_id()->platform_class, 1u);
}

TEST(RealLogQuirks, WindowsInformationalRecordIsNotExtended) {
    EventLog log = read_event_log(test::real_logs_dir() / "go-attestation/option_rom_eventlog");
    const EventView& last = log[log.size() - 1];
    EXPECT_EQ(last.pcr, 0xFFFFFFFFu);
    ReplayResult r = replay(log);
    for (const BankReplay& b : r.banks)
        for (const PcrReplay& p : b.pcrs)
            for (std::size_t i : p.events) EXPECT_NE(i, last.index);
}

}  // namespace
}  // namespace drtm::eventlog
