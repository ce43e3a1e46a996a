// Integration tests against a real swtpm started by the fixture. Golden
// values are the "hello drtm" vector of reference/swtpm.md §4.2, measured on
// swtpm and computed independently with OpenSSL.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/bytes.hpp"
#include "crypto/digest.hpp"
#include "launch/emulated_platform.hpp"
#include "tpm/swtpm_control.hpp"
#include "tpm/tpm.hpp"

using namespace drtm;
using binary::as_bytes;
using binary::to_hex;
using crypto::HashAlg;

namespace {
std::vector<std::uint32_t> drtm_pcrs() {
    return {17, 18, 19, 20, 21, 22};
}

tpm::SwtpmControl control_for(const std::string& tcti) {
    return tpm::SwtpmControl(*tpm::parse_tcti(tcti).swtpm_control());
}
}  // namespace

TEST(EmulatedPlatform, StartsWithDrtmPcrsAllFfAndStopsCleanly) {
    std::filesystem::path dir;
    {
        launch::ScopedPlatform platform;
        dir = platform.state_dir();
        auto st = launch::EmulatedPlatform::status(dir);
        ASSERT_TRUE(st.running);
        EXPECT_EQ(st.tcti, platform.tcti());
        tpm::Tpm t(platform.tcti());
        EXPECT_EQ(t.allocated_banks(), (std::vector<HashAlg>{HashAlg::sha1, HashAlg::sha256}));
        auto pcrs =
            t.read_pcrs({HashAlg::sha1, HashAlg::sha256}, {0, 16, 17, 18, 19, 20, 21, 22, 23});
        for (auto bank : {HashAlg::sha1, HashAlg::sha256}) {
            for (auto p : drtm_pcrs()) EXPECT_TRUE(binary::all_equal(pcrs[bank][p], 0xFF)) << p;
            EXPECT_TRUE(binary::all_equal(pcrs[bank][16], 0));
            EXPECT_TRUE(binary::all_equal(pcrs[bank][23], 0));
        }
        EXPECT_FALSE(control_for(platform.tcti()).get_tpm_established());
    }
    EXPECT_FALSE(std::filesystem::exists(dir)) << "scoped platform must clean up";
}

TEST(EmulatedPlatform, DrtmSequenceResetsAndExtendsPcr17) {
    launch::ScopedPlatform platform;
    auto control = control_for(platform.tcti());
    std::uint32_t restarts_before = 0;
    {
        tpm::Tpm t(platform.tcti());
        restarts_before = t.info().restart_count;
    }
    control.drtm_sequence(as_bytes("hello drtm"));
    tpm::Tpm t(platform.tcti());
    auto pcrs = t.read_pcrs({HashAlg::sha1, HashAlg::sha256}, drtm_pcrs());
    EXPECT_EQ(to_hex(pcrs[HashAlg::sha1][17]), "3b2d1aca8126c7659fbe10b8cfce762245f60b9d");
    EXPECT_EQ(to_hex(pcrs[HashAlg::sha256][17]),
              "c6fc47b6d8d317626545e876c1df10ce4dd7cec7e196e7ac210c895e0773b552");
    for (auto bank : {HashAlg::sha1, HashAlg::sha256})
        for (std::uint32_t p = 18; p <= 22; ++p) EXPECT_TRUE(binary::all_equal(pcrs[bank][p], 0));
    EXPECT_TRUE(control.get_tpm_established());
    EXPECT_EQ(t.info().restart_count, restarts_before + 1);
}

TEST(EmulatedPlatform, LargeDrtmDataIsChunked) {
    launch::ScopedPlatform platform;
    binary::Bytes data(10000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
    control_for(platform.tcti()).drtm_sequence(data);
    tpm::Tpm t(platform.tcti());
    auto pcrs = t.read_pcrs({HashAlg::sha256}, {17});
    auto expected = crypto::extend(HashAlg::sha256, crypto::zero_digest(HashAlg::sha256),
                                   crypto::hash(HashAlg::sha256, data));
    EXPECT_EQ(pcrs[HashAlg::sha256][17], expected);
}

TEST(EmulatedPlatform, LocalityMatrixForExtend) {
    // reference/swtpm.md §5.1, measured on libtpms 0.9.2.
    const bool ok[5][8] = {
        {true, false, false, false, false, false, false, true},  // locality 0: PCR 16..23
        {true, false, false, false, true, false, false, true},   // 1
        {true, true, true, true, true, true, true, true},        // 2
        {true, true, true, true, true, false, false, true},      // 3
        {true, true, true, false, false, false, false, true},    // 4
    };
    launch::ScopedPlatform platform;
    tpm::Tpm t(platform.tcti());
    binary::Bytes digest(32, 0x11);
    for (std::uint8_t loc = 0; loc <= 4; ++loc) {
        t.set_locality(loc);
        for (std::uint32_t pcr = 16; pcr <= 23; ++pcr) {
            bool succeeded = true;
            try {
                t.extend(pcr, {{HashAlg::sha256, digest}});
            } catch (const tpm::TpmError& e) {
                succeeded = false;
                EXPECT_EQ(e.rc() & 0xFFF, 0x907u) << e.what();
            }
            EXPECT_EQ(succeeded, ok[loc][pcr - 16]) << "locality " << int(loc) << " PCR " << pcr;
        }
    }
}

TEST(EmulatedPlatform, EstablishedBitClearedOnlyFromLocality3Or4) {
    launch::ScopedPlatform platform;
    auto control = control_for(platform.tcti());
    control.drtm_sequence(as_bytes("x"));
    EXPECT_TRUE(control.get_tpm_established());
    for (std::uint8_t loc = 0; loc <= 2; ++loc) {
        EXPECT_THROW(control.reset_tpm_established(loc), tpm::ControlError);
        EXPECT_TRUE(control.get_tpm_established());
    }
    control.reset_tpm_established(3);
    EXPECT_FALSE(control.get_tpm_established());
}

TEST(EmulatedPlatform, SecondStartInSameDirectoryIsRefused) {
    launch::ScopedPlatform platform;
    EXPECT_THROW(launch::EmulatedPlatform::start(platform.state_dir(), {HashAlg::sha256}),
                 std::runtime_error);
}

TEST(Tcti, ControlEndpointFollowsSwtpmConvention) {
    auto s = tpm::parse_tcti("swtpm:path=/run/x.sock");
    EXPECT_EQ(s.swtpm_control()->unix_path, "/run/x.sock.ctrl");
    auto p = tpm::parse_tcti("swtpm:port=2321");
    EXPECT_EQ(p.swtpm_control()->port, 2322);
    EXPECT_FALSE(tpm::parse_tcti("device:/dev/tpmrm0").swtpm_control().has_value());
    EXPECT_THROW(tpm::parse_tcti(""), std::invalid_argument);
}
