// Remote attestation on a real swtpm after an emulated launch: evidence from
// a real TPM2_Quote is affirmed, and each attack is rejected with its reason
// named. tpm2_checkquote verifies drtm's quote independently.
#include <gtest/gtest.h>

#include <filesystem>

#include "attest/attester_keys.hpp"
#include "attest/ear.hpp"
#include "attest/verifier.hpp"
#include "binary/file_io.hpp"
#include "eventlog/event.hpp"
#include "eventlog/log_writer.hpp"
#include "eventlog/parse.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "launch/emulated_platform.hpp"
#include "launch/launcher.hpp"
#include "predict/predictor.hpp"
#include "support/run_command.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {
const binary::Bytes kNonce = binary::from_hex("00112233445566778899aabbccddeeff");

class Attestation : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-attest-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        binary::write_file_atomic(dir_ / "vmlinuz",
                                  binary::ByteView(image_test::make_synthetic_bzimage()));
        binary::write_file_atomic(dir_ / "skl.bin", binary::ByteView(image::make_test_skl()));
        {
            tpm::Tpm t(platform_.tcti());
            keys_ = attest::create_attester_keys(t, tpm::EkType::ecc_p256);
        }
        result_ = launch::perform_launch(req());
        policy_.reference_values.push_back(
            predict::predict_launch(req()).pcrs.at(crypto::HashAlg::sha256));
    }
    void TearDown() override { fs::remove_all(dir_); }
    launch::LaunchRequest req() {
        launch::LaunchRequest r;
        r.tcti = platform_.tcti();
        r.flavour = launch::Flavour::amd;
        r.dce = dir_ / "skl.bin";
        r.dlme = launch::LinuxDlme{dir_ / "vmlinuz", std::nullopt, "console=ttyS0"};
        return r;
    }
    attest::Evidence evidence(const binary::Bytes& nonce = kNonce) {
        tpm::Tpm t(platform_.tcti());
        return attest::collect_evidence(t, keys_.ak, nonce, result_.eventlog, {});
    }
    attest::Verdict appraise(const attest::Evidence& e,
                             std::optional<attest::ClockInfo> previous = std::nullopt) {
        attest::Expectations x{kNonce, keys_.ak_name, previous, nullptr};
        return attest::appraise(e, x, policy_);
    }
    // The log with its records edited, re-serialised as a crypto-agile log.
    binary::Bytes edited_log(const std::function<void(std::vector<eventlog::Event>&)>& edit) {
        auto log = eventlog::parse_event_log(result_.eventlog);
        std::vector<eventlog::Event> events;
        for (const auto& e : log.events()) events.push_back(eventlog::to_event(e));
        edit(events);
        return eventlog::write_crypto_agile_log(*log.spec_id(), events);
    }
    static bool failed(const attest::Verdict& v, const std::string& check) {
        auto f = v.failed();
        return std::find(f.begin(), f.end(), check) != f.end();
    }

    launch::ScopedPlatform platform_;
    fs::path dir_;
    attest::AttesterKeys keys_;
    launch::LaunchResult result_;
    attest::AppraisalPolicy policy_;
};
}  // namespace

TEST_F(Attestation, GenuineEvidenceIsAffirmedAndTheEarVerifies) {
    auto v = appraise(evidence());
    EXPECT_EQ(v.status(), "affirming");
    EXPECT_TRUE(v.failed().empty()) << ::testing::PrintToString(v.failed());
    ASSERT_TRUE(v.quote);
    EXPECT_EQ(v.quote->extra_data, kNonce);

    auto verifier = crypto::EcdsaP256Key::generate();
    attest::EarInfo info{1764000000, "drtm test", policy_.id, kNonce, "node"};
    auto jwt = attest::sign_ear(attest::ear_claims(v, info), verifier);
    auto claims = attest::verify_ear(jwt, verifier);
    EXPECT_EQ(claims["submods"]["drtm-launch"]["ear_status"], "affirming");
    EXPECT_EQ(claims["submods"]["drtm-launch"]["ear_trustworthiness_vector"]["executables"], 2);
    EXPECT_EQ(claims["eat_nonce"], "ABEiM0RVZneImaq7zN3u_w");
}

TEST_F(Attestation, ReplayedOrStaleNonceIsRejected) {
    auto old = evidence(binary::from_hex("ffeeddccbbaa99887766554433221100"));
    auto v = appraise(old);
    EXPECT_EQ(v.status(), "contraindicated");
    EXPECT_EQ(v.failed(), std::vector<std::string>{"nonce"});
}

TEST_F(Attestation, ForgedSignatureIsRejected) {
    auto e = evidence();
    e.quote_signature[e.quote_signature.size() - 1] ^= 1;
    EXPECT_TRUE(failed(appraise(e), "signature"));
    // An attacker's own quote structure, signed by an attacker's key but
    // presented with the enrolled AK.
    e = evidence();
    e.quote_attest[e.quote_attest.size() - 1] ^= 1;  // claim other PCR values
    auto v = appraise(e);
    EXPECT_TRUE(failed(v, "signature"));
    EXPECT_EQ(v.status(), "contraindicated");
}

TEST_F(Attestation, WrongOrUnenrolledAkIsRejected) {
    attest::AttesterKeys other;
    {
        tpm::Tpm t(platform_.tcti());
        other = attest::create_attester_keys(t, tpm::EkType::ecc_p256);
    }
    // Quoted by another AK of the same TPM: genuine, but not the enrolled key.
    attest::Evidence e;
    {
        tpm::Tpm t(platform_.tcti());
        e = attest::collect_evidence(t, other.ak, kNonce, result_.eventlog, {});
    }
    auto v = appraise(e);
    EXPECT_EQ(v.failed(), std::vector<std::string>{"enrolled_key"});
    EXPECT_EQ(v.trust_vector["instance-identity"], 97);
    // The enrolled AK's public area with the other key's quote: bad signature.
    e.ak_public = keys_.ak.public_area;
    EXPECT_TRUE(failed(appraise(e), "signature"));
}

TEST_F(Attestation, ReportedPcrsThatAreNotTheQuotedOnesAreRejected) {
    auto e = evidence();
    e.pcrs[crypto::HashAlg::sha256][18][0] ^= 1;
    auto v = appraise(e);
    EXPECT_TRUE(failed(v, "pcr_digest"));
    EXPECT_EQ(v.status(), "contraindicated");
}

TEST_F(Attestation, EditedLogsAreRejected) {
    auto check = [&](const char* what, auto edit) {
        auto e = evidence();
        e.eventlog = edited_log(edit);
        auto v = appraise(e);
        EXPECT_TRUE(failed(v, "log_replay")) << what;
        EXPECT_EQ(v.status(), "contraindicated") << what;
    };
    check("reordered", [](auto& ev) {
        // Two measurements into the same PCR swapped.
        for (std::size_t i = ev.size() - 1; i > 0; --i)
            for (std::size_t j = i; j-- > 0;)
                if (ev[i].pcr == ev[j].pcr && ev[i].type != 0x3 && ev[j].type != 0x3 &&
                    ev[i].digests != ev[j].digests) {
                    std::swap(ev[i], ev[j]);
                    return;
                }
    });
    check("dropped", [](auto& ev) { ev.erase(ev.end() - 1); });
    check("type changed to a marker", [](auto& ev) {
        for (auto& e : ev)
            if (e.pcr == 18 && e.type != 0x3) {
                e.type = 0x503;  // relabelled as a Secure Launch marker: not extended
                return;
            }
    });
}

TEST_F(Attestation, NoLaunchAllFfIsRejected) {
    launch::ScopedPlatform fresh;  // a TPM that never saw a dynamic launch
    attest::AttesterKeys k;
    attest::Evidence e;
    {
        tpm::Tpm t(fresh.tcti());
        k = attest::create_attester_keys(t, tpm::EkType::ecc_p256);
        e = attest::collect_evidence(t, k.ak, kNonce, result_.eventlog, {});
    }
    attest::Expectations x{kNonce, k.ak_name, std::nullopt, nullptr};
    auto v = attest::appraise(e, x, policy_);
    EXPECT_TRUE(failed(v, "dynamic_launch"));
    EXPECT_EQ(v.status(), "contraindicated");
}

TEST_F(Attestation, ResetCountGoingBackwardsIsRejected) {
    auto e = evidence();
    auto q = appraise(e).quote.value();
    EXPECT_TRUE(appraise(e, q.clock).failed().empty()) << "same counts: accepted";
    auto later = q.clock;
    later.reset_count += 1;
    EXPECT_EQ(appraise(e, later).failed(), std::vector<std::string>{"tpm_counters"});
    later = q.clock;
    later.restart_count += 1;
    EXPECT_EQ(appraise(e, later).failed(), std::vector<std::string>{"tpm_counters"});
}

TEST_F(Attestation, UnknownLaunchIsNotAffirmed) {
    policy_.reference_values.clear();
    policy_.reference_values.push_back({{17, binary::Bytes(32, 0x17)}});
    auto v = appraise(evidence());
    EXPECT_EQ(v.failed(), std::vector<std::string>{"reference_values"});
    EXPECT_EQ(v.status(), "warning");
}

TEST_F(Attestation, Tpm2CheckquoteVerifiesTheQuote) {
    if (::system("command -v tpm2_checkquote >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "tpm2-tools missing";
    // tpm2_checkquote 5.4 reads at most 8 values with -F values: quote the
    // SHA-256 bank only (docs/attestation.md).
    attest::Evidence e;
    {
        tpm::Tpm t(platform_.tcti());
        attest::CollectOptions o;
        o.banks = {crypto::HashAlg::sha256};
        e = attest::collect_evidence(t, keys_.ak, kNonce, result_.eventlog, o);
    }
    EXPECT_TRUE(appraise(e).failed().empty());
    binary::write_file_atomic(dir_ / "ak.pub", binary::ByteView(e.ak_public));
    binary::write_file_atomic(dir_ / "quote.msg", binary::ByteView(e.quote_attest));
    binary::write_file_atomic(dir_ / "quote.sig", binary::ByteView(e.quote_signature));
    binary::Bytes values;  // in quote order
    for (std::uint32_t p = 17; p <= 22; ++p) {
        const auto& v = e.pcrs.at(crypto::HashAlg::sha256).at(p);
        values.insert(values.end(), v.begin(), v.end());
    }
    binary::write_file_atomic(dir_ / "pcrs.bin", binary::ByteView(values));
    const auto d = [&](const char* f) { return testsupport::quote((dir_ / f).string()); };
    auto r = testsupport::run_command("tpm2_checkquote -u " + d("ak.pub") + " -m " +
                                      d("quote.msg") + " -s " + d("quote.sig") + " -f " +
                                      d("pcrs.bin") + " -F values -l sha256:17,18,19,20,21,22" +
                                      " -g sha256 -q " + binary::to_hex(kNonce));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = testsupport::run_command("tpm2_checkquote -u " + d("ak.pub") + " -m " + d("quote.msg") +
                                 " -s " + d("quote.sig") + " -g sha256 -q 0011");
    EXPECT_NE(r.status, 0) << "a wrong nonce must fail tpm2_checkquote too";
}
