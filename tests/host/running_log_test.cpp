// Finding the running system's DRTM log from each source, on fixture trees
// (a securityfs file, an `xl dmesg` transcript with /dev/mem, a TXT heap in
// /dev/mem). The log bytes are intel-secl's real TXT log; the expected PCRs
// were computed by tpm2_eventlog (tpm2-tools) from the same 0x6BA bytes.
#include <gtest/gtest.h>

#include "binary/bytes.hpp"
#include "eventlog/replay.hpp"
#include "host/running_log.hpp"
#include "support/fixture_tree.hpp"

using namespace drtm;
using namespace drtm::host;

namespace {

constexpr const char* kSha256Pcr17 =
    "9e811701336f52de774b9e84b68fd977e400fcb031ea9e3465993d5c2a1935a8";
constexpr const char* kSha256Pcr18 =
    "52036ab120c1fc13940054c65c0c350463a56fa80131430a76cb3be84dfc31fc";

std::vector<std::uint8_t> padded(std::vector<std::uint8_t> log, std::size_t size) {
    log.resize(size, 0);
    return log;
}

void expect_intel_secl_log(const RunningLog& found) {
    const auto bytes = found.log.log_bytes();
    EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), test::intel_secl_heap_log());
    EXPECT_EQ(found.log.size(), 20u);
    auto r = eventlog::replay(found.log);
    const auto* bank = r.bank(crypto::HashAlg::sha256);
    ASSERT_NE(bank, nullptr);
    EXPECT_EQ(binary::to_hex(bank->pcrs[17].value), kSha256Pcr17);
    EXPECT_EQ(binary::to_hex(bank->pcrs[18].value), kSha256Pcr18);
}

bool mentions(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST(RunningLog, SecurityfsLogIsTrimmedAtItsFirstEmptyRecord) {
    test::FixtureTree t;
    t.write("/sys/kernel/security/slaunch/eventlog", padded(test::intel_secl_heap_log(), 0x8000));
    auto found = read_running_log(SystemRoot(t.root()));
    EXPECT_EQ(found.source, LogSource::securityfs);
    EXPECT_EQ(found.bytes_read, 0x8000u);
    EXPECT_TRUE(found.skipped.empty());
    expect_intel_secl_log(found);
}

TEST(RunningLog, UnderXenTheReservedRangeIsReadFromDevMem) {
    test::FixtureTree t;
    t.write("/sys/hypervisor/type", "xen\n");
    t.write("/xl-dmesg",
            "(XEN) Xen version 4.17.2 (user@example) (gcc) debug=n\n"
            "(XEN) SLAUNCH: reserving TXT heap (0x7a000000 - 0x7a100000)\n"
            "(XEN) SLAUNCH: reserving event log (0x7fe9e000 - 0x7fea6000)\n"
            "(XEN) SLAUNCH: reserving SINIT memory (0x7a100000 - 0x7a140000)\n");
    t.poke(0x7fe9e000, padded(test::intel_secl_heap_log(), 0x8000));
    auto found = read_running_log(SystemRoot(t.root()));
    EXPECT_EQ(found.source, LogSource::xen);
    EXPECT_TRUE(mentions(found.location, "0x7fe9e000")) << found.location;
    EXPECT_EQ(found.bytes_read, 0x8000u);
    ASSERT_EQ(found.skipped.size(), 1u);  // securityfs came first and had nothing
    EXPECT_EQ(found.skipped[0].source, LogSource::securityfs);
    ASSERT_FALSE(found.notes.empty());
    EXPECT_TRUE(mentions(found.notes[0], "reserving event log")) << found.notes[0];
    expect_intel_secl_log(found);
}

TEST(RunningLog, ARangeOfZerosSaysTheKernelMayHideRam) {
    test::FixtureTree t;
    t.write("/xl-dmesg", "(XEN) SLAUNCH: reserving event log (0x100000 - 0x108000)\n");
    t.poke(0x200000, {0});  // /dev/mem exists, the range holds zeros
    try {
        read_running_log(SystemRoot(t.root()), LogSource::xen);
        FAIL();
    } catch (const NoRunningLog& e) {
        EXPECT_TRUE(mentions(e.what(), "reads as zeros")) << e.what();
    }
}

TEST(RunningLog, TheTxtHeapOfARealServerLeadsToItsLog) {
    test::FixtureTree t;
    t.install_intel_secl_heap(0x1000);
    auto found = read_running_log(SystemRoot(t.root()));
    EXPECT_EQ(found.source, LogSource::txt_heap);
    EXPECT_EQ(found.skipped.size(), 2u);
    // The capture stores PhysicalAddress relative to the heap; drtm says so.
    bool said = false;
    for (const auto& n : found.notes) said = said || mentions(n, "relative to the heap");
    EXPECT_TRUE(said);
    expect_intel_secl_log(found);
}

TEST(RunningLog, TheTxtHeapLogIsReadAtItsPhysicalAddress) {
    test::FixtureTree t;
    auto heap = t.install_intel_secl_heap(0x7a000000);
    // OsSinitData is at heap offset 0x1514C; its first extended element's
    // body (the log pointer, PhysicalAddress first) is 8 + 92 + 8 bytes in.
    const std::uint64_t pointer_at = 0x7a000000 + 0x1514C + 8 + 92 + 8;
    t.poke64(pointer_at, 0x7b000000);
    t.poke(0x7b000000, padded(test::intel_secl_heap_log(), 0x2000));
    auto found = read_running_log(SystemRoot(t.root()), LogSource::txt_heap);
    EXPECT_TRUE(mentions(found.location, "0x7b000000")) << found.location;
    for (const auto& n : found.notes) EXPECT_FALSE(mentions(n, "relative to the heap")) << n;
    expect_intel_secl_log(found);
}

TEST(RunningLog, NothingFoundNamesEverySourceAndWhy) {
    test::FixtureTree t;
    try {
        read_running_log(SystemRoot(t.root()));
        FAIL();
    } catch (const NoRunningLog& e) {
        ASSERT_EQ(e.attempts().size(), 3u);
        EXPECT_TRUE(mentions(e.attempts()[0].reason, "slaunch/eventlog")) << e.what();
        EXPECT_TRUE(mentions(e.attempts()[1].reason, "xl-dmesg")) << e.what();
        EXPECT_TRUE(mentions(e.attempts()[2].reason, "dev/mem")) << e.what();
    }
}

TEST(RunningLog, AskingForOneSourceTriesOnlyThatOne) {
    test::FixtureTree t;
    t.write("/sys/kernel/security/slaunch/eventlog", padded(test::intel_secl_heap_log(), 0x8000));
    try {
        read_running_log(SystemRoot(t.root()), LogSource::txt_heap);
        FAIL();
    } catch (const NoRunningLog& e) {
        ASSERT_EQ(e.attempts().size(), 1u);
        EXPECT_EQ(e.attempts()[0].source, LogSource::txt_heap);
    }
}

TEST(RunningLog, AMalformedLogIsReportedWithItsSourceAndOffset) {
    test::FixtureTree t;
    auto log = padded(test::intel_secl_heap_log(), 0x8000);
    log[0x20 + 24] = 0x7f;  // Spec ID numberOfAlgorithms: far more than fit
    t.write("/sys/kernel/security/slaunch/eventlog", log);
    try {
        read_running_log(SystemRoot(t.root()));
        FAIL();
    } catch (const NoRunningLog& e) {
        FAIL() << "a damaged log was skipped: " << e.what();
    } catch (const std::runtime_error& e) {
        EXPECT_TRUE(mentions(e.what(), "slaunch/eventlog: offset 0x")) << e.what();
    }
}

TEST(RunningLog, SizesBeyondTheLimitsAreRefusedBeforeReading) {
    {
        test::FixtureTree t;
        t.write("/xl-dmesg", "(XEN) SLAUNCH: reserving event log (0x1000000 - 0x1500000)\n");
        t.poke(0x1000000, {1});
        try {
            read_running_log(SystemRoot(t.root()), LogSource::xen);
            FAIL();
        } catch (const std::runtime_error& e) {
            EXPECT_TRUE(mentions(e.what(), "the limit")) << e.what();
        }
    }
    {
        test::FixtureTree t;
        t.poke64(0xFED30000, 1);  // SENTER.DONE
        t.poke64(0xFED30300, 0x1000);
        t.poke64(0xFED30308, 32u << 20);
        try {
            read_running_log(SystemRoot(t.root()), LogSource::txt_heap);
            FAIL();
        } catch (const std::runtime_error& e) {
            EXPECT_TRUE(mentions(e.what(), "TXT.HEAP.SIZE")) << e.what();
            EXPECT_TRUE(mentions(e.what(), "the limit")) << e.what();
        }
    }
    {
        test::FixtureTree t;
        t.write("/sys/kernel/security/slaunch/eventlog",
                std::vector<std::uint8_t>((4u << 20) + 1, 1));
        try {
            read_running_log(SystemRoot(t.root()));
            FAIL();
        } catch (const std::runtime_error& e) {
            EXPECT_TRUE(mentions(e.what(), "the limit")) << e.what();
        }
    }
}

TEST(RunningLog, NoTxtHeapWhenThePublicSpaceReadsAllOnes) {
    test::FixtureTree t;
    for (std::uint64_t off = 0; off < 0x310; off += 8) t.poke64(0xFED30000 + off, ~0ull);
    try {
        read_running_log(SystemRoot(t.root()), LogSource::txt_heap);
        FAIL();
    } catch (const NoRunningLog& e) {
        EXPECT_TRUE(mentions(e.what(), "no TXT device")) << e.what();
    }
    // TXT.STS says a launch happened but the heap registers read as ones.
    t.poke64(0xFED30000, 1);
    try {
        read_running_log(SystemRoot(t.root()), LogSource::txt_heap);
        FAIL();
    } catch (const NoRunningLog& e) {
        EXPECT_TRUE(mentions(e.what(), "no TXT heap")) << e.what();
    }
}

TEST(RunningLog, SourceNamesRoundTrip) {
    for (auto s : {LogSource::securityfs, LogSource::xen, LogSource::txt_heap})
        EXPECT_EQ(log_source_from_name(log_source_name(s)), s);
    EXPECT_FALSE(log_source_from_name("uefi"));
}

TEST(RunningLog, ALogPointerPastTheEndOfMemorySaysItCouldNotBeRead) {
    test::FixtureTree t;
    t.install_intel_secl_heap(0x7a000000);
    // The pointer names an address the "machine" does not have.
    t.poke64(0x7a000000 + 0x1514C + 8 + 92 + 8, 0x7fff0000000);
    try {
        read_running_log(SystemRoot(t.root()), LogSource::txt_heap);
        FAIL();
    } catch (const NoRunningLog& e) {
        EXPECT_TRUE(mentions(e.what(), "cannot be read")) << e.what();
        EXPECT_TRUE(mentions(e.what(), "runs past the end")) << e.what();
    }
}

TEST(RunningLog, WithoutAMeasuredLaunchTheHeapIsNotRead) {
    test::FixtureTree t;
    t.install_intel_secl_heap(0x1000);
    t.poke64(0xFED30000, 0);  // SENTER.DONE clear: TXT is on, no launch happened
    try {
        read_running_log(SystemRoot(t.root()), LogSource::txt_heap);
        FAIL();
    } catch (const NoRunningLog& e) {
        EXPECT_TRUE(mentions(e.what(), "SENTER.DONE clear")) << e.what();
    }
}
