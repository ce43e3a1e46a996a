// Signed approvals on a real swtpm (emulated launches): the secret is sealed
// once; a predicted launch is approved by signature; the NV counter revokes
// older approvals. Each refusal is checked twice: drtm's readable pre-check,
// and the TPM itself when the pre-check is bypassed.
#include <gtest/gtest.h>

#include <filesystem>

#include "binary/file_io.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/emulated_platform.hpp"
#include "launch/launcher.hpp"
#include "predict/predictor.hpp"
#include "seal/local_seal.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {
class AuthorizedSealTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-authz-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "vmlinuz",
                                  binary::ByteView(image_test::make_synthetic_bzimage()));
        binary::write_file_atomic(dir_ / "skl.bin", binary::ByteView(image::make_test_skl()));
    }
    void TearDown() override { fs::remove_all(dir_); }

    launch::LaunchRequest req(const std::string& cmdline) {
        launch::LaunchRequest r;
        r.tcti = platform_.tcti();
        r.flavour = launch::Flavour::amd;
        r.dce = dir_ / "skl.bin";
        r.dlme = launch::LinuxDlme{dir_ / "vmlinuz", std::nullopt, cmdline};
        return r;
    }
    void launch(const std::string& cmdline) { launch::perform_launch(req(cmdline)); }
    seal::SealedSecret seal_current(const std::string& secret) {
        tpm::Tpm t(platform_.tcti());
        seal::PcrSelection sel;
        auto values = t.read_pcrs({sel.bank}, sel.pcrs);
        seal::AuthorizedSealOptions o;
        o.key = &key_;
        o.key_file = "key.pem";
        return seal::seal_authorized(t, binary::as_bytes(secret), sel, values, "current PCRs", o);
    }
    void approve(seal::SealedSecret& s, const std::string& cmdline) {
        auto p = predict::predict_launch(req(cmdline));
        tpm::Tpm t(platform_.tcti());
        seal::authorize(t, s, key_, s.selection, p.pcrs, "prediction " + cmdline);
    }
    std::string unseal(const seal::SealedSecret& s) {
        tpm::Tpm t(platform_.tcti());
        auto r = seal::unseal_secret(t, s);
        return std::string(r.secret.begin(), r.secret.end());
    }
    std::string refusal(const seal::SealedSecret& s) {
        try {
            unseal(s);
        } catch (const seal::UnsealRefused& e) {
            return e.what();
        }
        return "";
    }
    // The TPM's own answer for one approval, without drtm's checks.
    void expect_tpm_refuses(const seal::SealedSecret& s, const seal::Authorization& a) {
        const auto& st = *s.authorized;
        std::vector<tpm::PolicyStep> steps = {
            tpm::PolicyPcrStep{a.selection.bank, a.selection.pcrs},
            tpm::PolicyNvStep{st.nv_index, seal::counter_operand(a.counter_limit), 0,
                              tpm::kTpmEoUnsignedLe},
            tpm::PolicyAuthorizeStep{a.approved_policy,
                                     {},
                                     st.key_public,
                                     crypto::ecdsa_signature_from_der(a.signature)}};
        tpm::Tpm t(platform_.tcti());
        EXPECT_THROW(t.unseal(s.object, steps), tpm::TpmError);
    }
    std::uint64_t counter(const seal::SealedSecret& s) {
        tpm::Tpm t(platform_.tcti());
        return *t.nv_counter(s.authorized->nv_index)->value;
    }

    launch::ScopedPlatform platform_;
    fs::path dir_;
    crypto::EcdsaP256Key key_ = crypto::EcdsaP256Key::generate();
};
}  // namespace

TEST_F(AuthorizedSealTest, UpdateLifecycleWithRollbackProtection) {
    launch("console=ttyS0");
    auto store = seal_current("luks key");
    EXPECT_EQ(store.authorized->nv_index, seal::kFirstCounterIndex);
    seal::save_sealed(dir_ / "store", store);
    store = seal::load_sealed(dir_ / "store");
    EXPECT_EQ(unseal(store), "luks key");

    launch("console=ttyS0");  // relaunch of the same artifacts
    EXPECT_EQ(unseal(store), "luks key");

    launch("console=ttyS0 init=/bin/sh");  // a different launch: refused, PCR 18 named
    try {
        unseal(store);
        FAIL() << "an unapproved launch unsealed";
    } catch (const seal::UnsealRefused& e) {
        EXPECT_EQ(e.differing(), (std::vector<std::uint32_t>{18})) << e.what();
    }
    expect_tpm_refuses(store, store.authorized->authorizations.back());

    // Approve the update before "rebooting" into it; the old launch stays
    // valid until the new one has unsealed once.
    launch("console=ttyS0");
    const auto before = counter(store);
    approve(store, "console=ttyS0 quiet");
    ASSERT_EQ(store.authorized->authorizations.size(), 2u);
    EXPECT_EQ(store.authorized->authorizations[1].counter_limit, before + 1);
    EXPECT_EQ(unseal(store), "luks key");
    EXPECT_EQ(counter(store), before) << "the old approval must not advance the counter";

    launch("console=ttyS0 quiet");
    EXPECT_EQ(unseal(store), "luks key");
    EXPECT_EQ(counter(store), before + 1);

    // Rollback: the old kernel is refused by drtm and by the TPM.
    launch("console=ttyS0");
    EXPECT_NE(refusal(store).find("revoked"), std::string::npos) << refusal(store);
    expect_tpm_refuses(store, store.authorized->authorizations.front());

    // The next approval drops the revoked one from the store.
    approve(store, "console=ttyS0 loglevel=3");
    EXPECT_EQ(store.authorized->authorizations.size(), 2u);
}

TEST_F(AuthorizedSealTest, TamperedSignatureOrValuesAreRefused) {
    launch("console=ttyS0");
    auto store = seal_current("s3cret");
    auto forged = store;
    auto& sig = forged.authorized->authorizations[0].signature;
    sig[sig.size() - 3] ^= 0x01;
    EXPECT_NE(refusal(forged).find("signature"), std::string::npos) << refusal(forged);
    expect_tpm_refuses(forged, forged.authorized->authorizations[0]);

    // An approval of other values, relabelled as this launch's: drtm sees the
    // mismatch; the TPM refuses the signature over the edited policy.
    approve(store, "console=ttyS0 quiet");
    auto relabelled = store;
    auto& a = relabelled.authorized->authorizations[1];
    a.values = relabelled.authorized->authorizations[0].values;
    a.approved_policy = seal::approved_policy(a.selection, a.values, relabelled.authorized->nv_name,
                                              a.counter_limit);
    relabelled.authorized->authorizations.erase(relabelled.authorized->authorizations.begin());
    EXPECT_NE(refusal(relabelled).find("signature does not verify"), std::string::npos)
        << refusal(relabelled);
    expect_tpm_refuses(relabelled, relabelled.authorized->authorizations[0]);

    EXPECT_EQ(unseal(store), "s3cret");  // the genuine store still works
}

TEST_F(AuthorizedSealTest, AnotherKeyCannotApprove) {
    launch("console=ttyS0");
    auto store = seal_current("x");
    auto intruder = crypto::EcdsaP256Key::generate();
    tpm::Tpm t(platform_.tcti());
    auto p = predict::predict_launch(req("init=/bin/sh"));
    EXPECT_THROW(seal::authorize(t, store, intruder, store.selection, p.pcrs, "evil"),
                 std::runtime_error);
}

TEST_F(AuthorizedSealTest, NoLaunchMeansNoApproval) {
    tpm::Tpm t(platform_.tcti());
    seal::PcrSelection sel;
    auto values = t.read_pcrs({sel.bank}, sel.pcrs);  // all FF
    seal::AuthorizedSealOptions o;
    o.key = &key_;
    EXPECT_THROW(seal::seal_authorized(t, binary::as_bytes("x"), sel, values, "current", o),
                 std::runtime_error);
    EXPECT_FALSE(t.nv_counter(seal::kFirstCounterIndex)) << "nothing may change on the TPM";
}

TEST_F(AuthorizedSealTest, ResealKeepsTheCounterAndPendingApprovals) {
    launch("console=ttyS0");
    auto first = seal_current("old secret");
    approve(first, "console=ttyS0 quiet");
    tpm::Tpm t(platform_.tcti());
    seal::PcrSelection sel;
    seal::AuthorizedSealOptions o;
    o.key = &key_;
    o.previous = &first;
    auto second = seal::seal_authorized(t, binary::as_bytes("new secret"), sel,
                                        t.read_pcrs({sel.bank}, sel.pcrs), "current PCRs", o);
    EXPECT_EQ(second.authorized->nv_index, first.authorized->nv_index);
    EXPECT_EQ(second.authorized->authorizations.size(), 2u);
    EXPECT_FALSE(t.nv_counter(seal::kFirstCounterIndex + 1)) << "no second counter";
}
