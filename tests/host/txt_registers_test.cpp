// TXT public registers from securityfs files and from /dev/mem, and what
// their bits mean. Expected decodings are worked out by hand from the SDG /
// tboot bit layouts quoted in each test.
#include <gtest/gtest.h>

#include "host/system_root.hpp"
#include "host/txt_register_decode.hpp"
#include "host/txt_registers.hpp"
#include "support/fixture_tree.hpp"

using namespace drtm::host;

namespace {

std::string field(const DecodedRegister& d, const std::string& name) {
    for (const auto& f : d.fields)
        if (f.name == name) return f.value;
    return "<missing>";
}

const DecodedRegister& named(const std::vector<DecodedRegister>& all, const std::string& name) {
    for (const auto& d : all)
        if (d.raw.name == name) return d;
    throw std::runtime_error("no register " + name);
}

void write_securityfs(test::FixtureTree& t) {
    // slmodule.c's formats: %#018llx, %#04x, %#010x.
    t.write("/sys/kernel/security/slaunch/txt/sts", "0x00000000000100c1\n");
    t.write("/sys/kernel/security/slaunch/txt/ests", "0x00\n");
    t.write("/sys/kernel/security/slaunch/txt/errorcode", "0xc0000001\n");
    t.write("/sys/kernel/security/slaunch/txt/didvid", "0x00000001b0038086\n");
    t.write("/sys/kernel/security/slaunch/txt/ver_emif", "0x80000000\n");
    t.write("/sys/kernel/security/slaunch/txt/scratchpad", "0x0000000000000000\n");
    t.write("/sys/kernel/security/slaunch/txt/e2sts", "0x0000000000000002\n");
}

}  // namespace

TEST(TxtRegisters, FromSecurityfsDecoded) {
    test::FixtureTree t;
    write_securityfs(t);
    auto regs = read_txt_registers(SystemRoot(t.root()));
    EXPECT_NE(regs.source.find("slaunch/txt"), std::string::npos);
    ASSERT_EQ(regs.registers.size(), 7u);
    EXPECT_FALSE(regs.heap_base);  // securityfs does not export the heap registers
    auto d = decode_txt_registers(regs);
    // STS 0x100c1 = bits 0, 6, 7, 16.
    const auto& sts = named(d, "TXT.STS");
    EXPECT_EQ(field(sts, "SENTER.DONE.STS"), "1");
    EXPECT_EQ(field(sts, "SEXIT.DONE.STS"), "0");
    EXPECT_EQ(field(sts, "MEM-CONFIG-LOCK.STS"), "1");
    EXPECT_EQ(field(sts, "PRIVATE-OPEN.STS"), "1");
    EXPECT_EQ(field(sts, "LOCALITY1.OPEN.STS"), "0");
    EXPECT_EQ(field(sts, "LOCALITY2.OPEN.STS"), "1");
    EXPECT_NE(sts.meaning.find("measured launch"), std::string::npos);
    // 0xc0000001: valid, external, software src 0 (ACM), acm_type 1, progress 0, error 0.
    EXPECT_EQ(named(d, "TXT.ERRORCODE").meaning, "SINIT ACM: success");
    const auto& didvid = named(d, "TXT.DIDVID");
    EXPECT_EQ(field(didvid, "vendor_id"), "0x8086");
    EXPECT_EQ(field(didvid, "device_id"), "0xb003");
    EXPECT_EQ(field(didvid, "revision_id"), "0x0001");
    EXPECT_EQ(field(named(d, "TXT.VER.EMIF"), "production_fused"), "1");
    EXPECT_EQ(field(named(d, "TXT.E2STS"), "SECRETS.STS"), "1");
    EXPECT_EQ(field(named(d, "TXT.ESTS"), "TXT_RESET.STS"), "0");
}

TEST(TxtRegisters, FromDevMemWithTheHeapRegisters) {
    test::FixtureTree t;
    t.poke64(0xFED30000 + 0x000, 0x1);  // SENTER.DONE only
    t.poke64(0xFED30000 + 0x008, 0x1);  // TXT_RESET.STS
    t.poke64(0xFED30000 + 0x030, 0xc0008004);
    t.poke64(0xFED30000 + 0x110, 0x00000001b0038086);
    t.poke64(0xFED30000 + 0x300, 0x7a000000);
    t.poke64(0xFED30000 + 0x308, 0xe0000);
    t.poke64(0xFED30000 + 0x8F0, 0);  // E2STS, the last register read
    auto regs = read_txt_registers(SystemRoot(t.root()));
    EXPECT_NE(regs.source.find("dev/mem"), std::string::npos) << regs.source;
    EXPECT_EQ(regs.heap_base, 0x7a000000u);
    EXPECT_EQ(regs.heap_size, 0xe0000u);
    auto d = decode_txt_registers(regs);
    EXPECT_EQ(named(d, "TXT.ESTS").raw.value, 1u);
    EXPECT_NE(named(d, "TXT.ESTS").meaning.find("power cycle"), std::string::npos);
    EXPECT_EQ(named(d, "TXT.ERRORCODE").meaning,
              "Secure Launch error 0xc0008004 (TPM_LOGGING_FAILED)");
}

TEST(TxtRegisters, APublicSpaceOfAllOnesIsNoTxt) {
    test::FixtureTree t;
    for (std::uint64_t off = 0; off < 0x900; off += 8) t.poke64(0xFED30000 + off, ~0ull);
    try {
        read_txt_registers(SystemRoot(t.root()));
        FAIL();
    } catch (const Unavailable& e) {
        EXPECT_NE(std::string(e.what()).find("all ones"), std::string::npos) << e.what();
    }
}

TEST(TxtRegisters, NeitherSourceSaysWhatWasLookedFor) {
    test::FixtureTree t;
    try {
        read_txt_registers(SystemRoot(t.root()));
        FAIL();
    } catch (const Unavailable& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("slaunch/txt"), std::string::npos) << m;
        EXPECT_NE(m.find("dev/mem"), std::string::npos) << m;
    }
}

TEST(TxtRegisters, ACpuWithoutSmxIsNamedInTheMessage) {
    test::FixtureTree t;
    t.write("/proc/cpuinfo",
            "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme svm sse2\n\n");
    try {
        read_txt_registers(SystemRoot(t.root()));
        FAIL();
    } catch (const Unavailable& e) {
        EXPECT_NE(std::string(e.what()).find("does not report SMX"), std::string::npos) << e.what();
    }
}

TEST(TxtRegisters, AGarbledSecurityfsFileIsAnError) {
    test::FixtureTree t;
    write_securityfs(t);
    t.write("/sys/kernel/security/slaunch/txt/sts", "zzz\n");
    EXPECT_THROW(read_txt_registers(SystemRoot(t.root())), std::runtime_error);
}

TEST(TxtErrorcode, DecodedAsTbootDoes) {
    EXPECT_EQ(describe_errorcode(0), "no error");
    EXPECT_EQ(describe_errorcode(0x00000007), "no valid error recorded (0x00000007)");
    // valid, processor (external 0), type 7.
    EXPECT_EQ(describe_errorcode(0x80000007), "processor error 7 (AUTH_FAIL)");
    // valid|external, src 0, acm_type 1, progress 0x0d, error 0x0a, tpm_err 0x1a:
    // 0xc0000000 | 0x1a << 16 | 0x0a << 10 | 0x0d << 4 | 1 = 0xc01a28d1.
    EXPECT_EQ(describe_errorcode(0xc01a28d1),
              "SINIT ACM error: progress 0x0d, error 0x0a, TPM error code 0x1a");
    // progress 0x10 (LCP), lcp_minor 3, index 2: 0xc0000000 | 2 << 22 | 3 << 16 |
    // 0x10 << 4 | 1 = 0xc0830101; error 0.
    EXPECT_EQ(describe_errorcode(0xc0830101),
              "SINIT ACM error: progress 0x10, error 0x00, LCP2 minor error 0x3, index 2");
    EXPECT_EQ(describe_errorcode(0xc0000000), "BIOS ACM: success");
    EXPECT_EQ(describe_errorcode(0xc0008001), "Secure Launch error 0xc0008001 (GENERIC)");
    EXPECT_EQ(describe_errorcode(0xc0008022), "Secure Launch error 0xc0008022 (TPM_INVALID_EVENT)");
    // src 1 but past the Secure Launch codes: err1 / err2 as tboot prints them.
    EXPECT_EQ(describe_errorcode(0xc0058023), "software error 0x23:0x5");
}

TEST(SystemRoot, PathsLieUnderThePrefix) {
    SystemRoot live;
    EXPECT_TRUE(live.is_live());
    EXPECT_EQ(live.path("/dev/mem"), "/dev/mem");
    SystemRoot r("/tmp/x");
    EXPECT_EQ(r.path("/sys/kernel/security"), "/tmp/x/sys/kernel/security");
}

TEST(SystemRoot, TheEnvironmentNamesTheRootUnlessTheOptionDoes) {
    ::setenv(kRootVariable, "/from-env", 1);
    EXPECT_EQ(SystemRoot::from_environment().prefix(), "/from-env");
    EXPECT_EQ(SystemRoot::from_environment("/from-option").prefix(), "/from-option");
    ::unsetenv(kRootVariable);
    EXPECT_TRUE(SystemRoot::from_environment().is_live());
    ::setenv(kXlDmesgVariable, "/tmp/dmesg.txt", 1);
    EXPECT_EQ(SystemRoot::from_environment().xl_dmesg_file(), "/tmp/dmesg.txt");
    ::unsetenv(kXlDmesgVariable);
}
