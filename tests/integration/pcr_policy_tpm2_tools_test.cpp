// drtm's software TPM2_PolicyPCR against the digest a TPM computes for
// tpm2-tools' trial session (tpm2_createpolicy --policy-pcr), after a launch.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "launch/emulated_platform.hpp"
#include "seal/pcr_policy.hpp"
#include "support/run_command.hpp"
#include "tpm/swtpm_control.hpp"
#include "tpm/tpm.hpp"

using namespace drtm;

TEST(PcrPolicyInterop, MatchesTpm2CreatepolicyAfterALaunch) {
    if (::system("command -v tpm2_createpolicy >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "tpm2-tools missing";
    launch::ScopedPlatform platform;
    tpm::SwtpmControl(*tpm::parse_tcti(platform.tcti()).swtpm_control())
        .drtm_sequence(binary::as_bytes("some DCE"));
    tpm::PcrBanks values;
    {
        tpm::Tpm t(platform.tcti());
        t.set_locality(2);
        t.extend(18, {{crypto::HashAlg::sha256, binary::Bytes(32, 0x42)}});
        values = t.read_pcrs({crypto::HashAlg::sha256}, {17, 18});
    }
    seal::PcrSelection sel{crypto::HashAlg::sha256, {17, 18}};
    auto mine = seal::policy_pcr(crypto::HashAlg::sha256, binary::Bytes(32, 0), sel, values);

    auto out = platform.state_dir() / "policy.digest";
    auto r = testsupport::run_command("TPM2TOOLS_TCTI=" + testsupport::quote(platform.tcti()) +
                                      " tpm2_createpolicy --policy-pcr -l sha256:17,18 -L " +
                                      testsupport::quote(out.string()));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(binary::to_hex(binary::read_file(out)), binary::to_hex(mine));
}
