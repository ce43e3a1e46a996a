// Replay rules and comparison. Golden values were computed with python3
// hashlib, e.g. sha1(b'\0'*19 + b'\3' + b'\1'*20) for PCR 0 after a
// StartupLocality 3 event.
#include <gtest/gtest.h>

#include <algorithm>

#include "eventlog/event_types.hpp"
#include "eventlog/log_writer.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "test_support.hpp"

namespace drtm::eventlog {
namespace {

using crypto::HashAlg;

constexpr HashAlg two_banks[] = {HashAlg::sha1, HashAlg::sha256};

Event ev(std::uint32_t pcr, std::uint32_t type, std::uint8_t sha1_fill, std::uint8_t sha256_fill,
         std::string_view data = {}) {
    Event e;
    e.pcr = pcr;
    e.type = type;
    e.digests = {{0x0004, binary::Bytes(20, sha1_fill)}, {0x000B, binary::Bytes(32, sha256_fill)}};
    e.data.assign(data.begin(), data.end());
    return e;
}

// A log exercising every rule: header (0), StartupLocality 3 (1), PCR 0 (2),
// PCR 17 (3), end marker (4), start marker with a digest (5), PCR 0xFF (6),
// PCR 18 (7), EV_NO_ACTION with a digest in PCR 23 (8).
EventLog rules_log() {
    std::vector<Event> events = {
        ev(0, tcg::ev_no_action, 0, 0, std::string_view("StartupLocality\0\3", 17)),
        ev(0, tcg::ev_s_crtm_version, 0x01, 0x02),
        ev(17, drtm_types::slaunch, 0x11, 0x12, "SKINIT"),
        ev(17, drtm_types::slaunch_end, 0x00, 0x00),
        ev(17, drtm_types::slaunch_start, 0x00, 0x99),
        ev(0xFF, drtm_types::txt_pcr_mapping, 0x31, 0x32),
        ev(18, drtm_types::slaunch, 0x21, 0x22, "SLRT"),
        ev(23, tcg::ev_no_action, 0x41, 0x42),
    };
    return parse_event_log(write_crypto_agile_log(make_spec_id_event(two_banks), events));
}

std::string value(const ReplayResult& r, HashAlg alg, std::uint32_t pcr) {
    return binary::to_hex(r.bank(alg)->pcrs[pcr].value);
}

TEST(Replay, FollowsTheRules) {
    EventLog log = rules_log();
    ASSERT_EQ(log.size(), 9u);
    ReplayResult r = replay(log);
    ASSERT_EQ(r.banks.size(), 2u);
    EXPECT_EQ(r.startup_locality, 3);
    EXPECT_EQ(value(r, HashAlg::sha1, 0), "9657e951b0b5175ea224a234b007227f89e96ec0");
    EXPECT_EQ(value(r, HashAlg::sha256, 0),
              "a98de2a36d10a75d85043cf2ef1bf70dceddcb017a1f586e41089bc12f663202");
    EXPECT_EQ(value(r, HashAlg::sha1, 17), "b3e26c6ca6785f04dd7187293d802d5b16dad8c1");
    EXPECT_EQ(value(r, HashAlg::sha256, 17),
              "48106a08665c6d3b4c6d158619954201b7e4ebf42b5c416b2d2cc04b48f3c76d");
    EXPECT_EQ(value(r, HashAlg::sha1, 18), "ef371f3e9d7701e72378fb056cd6b5ffa80a729a");
    EXPECT_EQ(value(r, HashAlg::sha256, 18),
              "ee4b0e933b56cdf12a42b1e3f3b9ed1aa70cf9f3cf37325693255c8bfbcb8ba8");
    // Untouched PCRs keep their initial value: 0 everywhere after a launch.
    for (std::uint32_t p : {1u, 19u, 22u, 23u})
        EXPECT_TRUE(binary::all_equal(r.bank(HashAlg::sha256)->pcrs[p].value, 0)) << p;

    const BankReplay& sha1 = *r.bank(HashAlg::sha1);
    EXPECT_EQ(sha1.pcrs[0].events, (std::vector<std::size_t>{2}));
    EXPECT_EQ(sha1.pcrs[17].events, (std::vector<std::size_t>{3}));
    EXPECT_EQ(sha1.pcrs[17].skipped, (std::vector<std::size_t>{4, 5}));
    EXPECT_EQ(sha1.pcrs[0].skipped, (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(sha1.pcrs[23].skipped, (std::vector<std::size_t>{8}));
    EXPECT_EQ(r.touched_pcrs(), (std::vector<std::uint32_t>{0, 17, 18}));

    auto noted = [&](std::string_view what) {
        return std::any_of(r.notes.begin(), r.notes.end(),
                           [&](const std::string& n) { return n.find(what) != std::string::npos; });
    };
    EXPECT_TRUE(
        noted("event 5 (TXT_EVTYPE_SLAUNCH_START, PCR 17) is not extended but carries a non-zero "
              "digest"));
    EXPECT_TRUE(noted("event 8 (EV_NO_ACTION, PCR 23)"));
    EXPECT_FALSE(noted("event 4 "));  // a zero-digest marker is normal
}

TEST(Replay, WithoutALaunchDrtmPcrsStartAtFf) {
    ReplayResult r = replay(rules_log(), test::no_launch());
    EXPECT_EQ(value(r, HashAlg::sha1, 17), "f0952d910d8cdc4fdc170ec067575d66b6f741f5");
    EXPECT_TRUE(binary::all_equal(r.bank(HashAlg::sha1)->pcrs[19].value, 0xFF));
    EXPECT_TRUE(binary::all_equal(r.bank(HashAlg::sha1)->pcrs[16].value, 0));
    EXPECT_TRUE(binary::all_equal(r.bank(HashAlg::sha1)->pcrs[23].value, 0));
}

TEST(Replay, BankSelection) {
    ReplayOptions only_sha256;
    only_sha256.banks = {HashAlg::sha256};
    ReplayResult r = replay(rules_log(), only_sha256);
    ASSERT_EQ(r.banks.size(), 1u);
    EXPECT_EQ(r.banks[0].alg, HashAlg::sha256);
}

TEST(Replay, StartupLocalityAfterPcr0ExtendIsIgnored) {
    std::vector<Event> events = {
        ev(0, tcg::ev_s_crtm_version, 0x01, 0x02),
        ev(0, tcg::ev_no_action, 0, 0, std::string_view("StartupLocality\0\3", 17)),
    };
    ReplayResult r = replay(events, two_banks);
    EXPECT_FALSE(r.startup_locality);
    EXPECT_EQ(value(r, HashAlg::sha1, 0), "c3ad7f64b8d976aaf2b3a9c98f7ee5631cde7125");
}

TEST(Compare, ReportsMismatchesWithTheirEvents) {
    EventLog log = rules_log();
    ReplayResult r = replay(log);
    PcrValues tpm;
    tpm[HashAlg::sha1][17] = test::hex("b3e26c6ca6785f04dd7187293d802d5b16dad8c1");
    tpm[HashAlg::sha1][18] = binary::Bytes(20, 0xAB);    // wrong
    tpm[HashAlg::sha256][19] = binary::Bytes(32, 0xFF);  // no launch
    tpm[HashAlg::sha256][20] = binary::Bytes(32, 0x00);  // untouched, correct
    tpm[HashAlg::sha384][17] = binary::Bytes(48, 0x00);  // not in the log

    Comparison c = compare(r, tpm);
    EXPECT_FALSE(c.ok());
    ASSERT_EQ(c.mismatches.size(), 2u);
    const PcrMismatch& m18 = c.mismatches[0];
    EXPECT_EQ(m18.bank, HashAlg::sha1);
    EXPECT_EQ(m18.pcr, 18u);
    EXPECT_EQ(binary::to_hex(m18.expected), "ef371f3e9d7701e72378fb056cd6b5ffa80a729a");
    EXPECT_EQ(m18.actual, binary::Bytes(20, 0xAB));
    EXPECT_EQ(m18.events, (std::vector<std::size_t>{7}));
    const PcrMismatch& m19 = c.mismatches[1];
    EXPECT_EQ(m19.pcr, 19u);
    EXPECT_NE(m19.reason.find("no dynamic launch"), std::string::npos);

    EXPECT_EQ(c.matched, (std::vector<PcrRef>{{HashAlg::sha1, 17}, {HashAlg::sha256, 20}}));
    EXPECT_EQ(c.banks_not_in_log, (std::vector<HashAlg>{HashAlg::sha384}));
    // Touched but not given: sha1 PCR 0, sha256 PCRs 0, 17, 18.
    EXPECT_EQ(c.unchecked.size(), 4u);
    EXPECT_EQ(c.touched.size(), 6u);
}

TEST(Compare, RelabelledMeasurementShowsAsAMismatch) {
    // A measurement of PCR 17 relabelled as the 0x504 marker: replay skips it,
    // the TPM did extend it, and compare() points at the skipped event.
    std::vector<Event> events = {ev(17, drtm_types::slaunch_end, 0x11, 0x12)};
    ReplayResult r = replay(events, two_banks);
    PcrValues tpm;
    tpm[HashAlg::sha1][17] = test::hex("b3e26c6ca6785f04dd7187293d802d5b16dad8c1");
    Comparison c = compare(r, tpm);
    ASSERT_EQ(c.mismatches.size(), 1u);
    EXPECT_EQ(c.mismatches[0].skipped, (std::vector<std::size_t>{0}));
    EXPECT_FALSE(c.notes.empty());
}

TEST(Compare, IgnoredPcrsAreNotChecked) {
    ReplayResult r = replay(rules_log());
    PcrValues tpm;
    tpm[HashAlg::sha1][10] = binary::Bytes(20, 0x77);  // IMA, not in the log
    CompareOptions options;
    options.ignore_pcrs = {10};
    EXPECT_TRUE(compare(r, tpm, options).ok());
    EXPECT_FALSE(compare(r, tpm).ok());
}

}  // namespace
}  // namespace drtm::eventlog
