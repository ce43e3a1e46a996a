// The prediction of an inspection on software PCRs. Expected values were
// computed with Python's hashlib from the documented layout: PCR 17 =
// E(0, H("drtm-inspector/1\ninspector-sha256 <hex>\n")), PCR 18 = E(0,
// H(golden file)), PCR 19 = E(E(0, H(.text)), H(.rodata)), then E(.,
// H(findings)) when there are any.
#include "inspect/inspection_measurement.hpp"

#include <gtest/gtest.h>

#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"

using namespace drtm;
using crypto::HashAlg;

namespace {

struct Subject {
    binary::Bytes inspector;
    std::string golden = "golden bzImage";
    binary::Bytes text = {0x90, 0x90, 0xC3};
    std::string rodata = "rodata";
    Subject() {
        for (int i = 0; i < 32; ++i) inspector.push_back(static_cast<std::uint8_t>(i));
    }
    inspect::InspectionSubject view() const {
        return {inspector,
                {{"linux native", binary::as_bytes(golden), "abcd", text, binary::as_bytes(rodata),
                  ""}}};
    }
};

}  // namespace

TEST(InspectionMeasurement, DescriptorNamesTheInspector) {
    Subject s;
    const auto d = inspect::inspector_descriptor(s.inspector);
    EXPECT_EQ(std::string(d.begin(), d.end()),
              "drtm-inspector/1\ninspector-sha256 "
              "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
}

TEST(InspectionMeasurement, PredictionMatchesIndependentValues) {
    Subject s;
    auto m = inspect::predict_inspection(s.view());
    const auto& sha256 = m.pcrs.at(HashAlg::sha256);
    EXPECT_EQ(binary::to_hex(sha256.at(17)),
              "8ea384fd74fa923ea1d64df2cf4fa5afd5fc2849755c0bc2a8bce213ba76ea39");
    EXPECT_EQ(binary::to_hex(m.pcrs.at(HashAlg::sha1).at(17)),
              "00a35c82251387c9625434f5ac526fad6199f85b");
    EXPECT_EQ(binary::to_hex(sha256.at(18)),
              "cc38528327d785c12193d0c6b0e95e3372eb00a02d5e134fc2ff4b94590aef6c");
    EXPECT_EQ(binary::to_hex(sha256.at(19)),
              "7e45b958bae07f0286dbbd3891d10f6e680003ec6039ad0a99653e6e6fd4a483");
    for (std::uint32_t p = 20; p <= 22; ++p) EXPECT_EQ(sha256.at(p), binary::Bytes(32, 0));
    EXPECT_TRUE(m.verified);
}

TEST(InspectionMeasurement, LogReplaysToThePrediction) {
    Subject s;
    auto m = inspect::predict_inspection(s.view());
    auto log = eventlog::parse_event_log(binary::ByteView(m.eventlog));
    ASSERT_EQ(log.events().size(), 6u);  // Spec ID header, launch, rules, golden, .text, .rodata
    auto replayed = eventlog::replay(log);
    auto cmp = eventlog::compare(replayed, eventlog::PcrValues(m.pcrs.begin(), m.pcrs.end()));
    EXPECT_TRUE(cmp.ok());
    const auto rules = log.events()[2].data;
    EXPECT_EQ(std::string(rules.begin(), rules.end()), "drtm-inspect rules linux native");
    const auto data = log.events()[3].data;
    EXPECT_EQ(std::string(data.begin(), data.end()), "drtm-inspect golden image build-id abcd");
}

TEST(InspectionMeasurement, OneChangedByteChangesOnlyPcr19) {
    Subject s;
    auto clean = inspect::predict_inspection(s.view());
    s.text[1] = 0xCC;
    auto changed = inspect::predict_inspection(s.view());
    const auto& a = clean.pcrs.at(HashAlg::sha256);
    const auto& b = changed.pcrs.at(HashAlg::sha256);
    EXPECT_EQ(a.at(17), b.at(17));
    EXPECT_EQ(a.at(18), b.at(18));
    EXPECT_NE(a.at(19), b.at(19));
}

// Findings the bytes cannot show still change PCR 19 (and only it), and the
// log carries them.
TEST(InspectionMeasurement, FindingsAreTheLastPcr19Record) {
    Subject s;
    auto clean = inspect::predict_inspection(s.view());
    auto view = s.view();
    view.images[0].findings = "text 0xffffffff81001000 cmdline_find_option_bool+0x10: changed\n";
    auto found = inspect::predict_inspection(view);
    const auto& a = clean.pcrs.at(HashAlg::sha256);
    const auto& b = found.pcrs.at(HashAlg::sha256);
    EXPECT_EQ(a.at(17), b.at(17));
    EXPECT_EQ(a.at(18), b.at(18));
    // hashlib: E(E(E(0, H(.text)), H(.rodata)), H(findings)).
    EXPECT_EQ(binary::to_hex(b.at(19)),
              "0c69c42dbe9fb08eea01015f8509cc8cd7126bc42effa31eca8dbd01b1bbfe91");
    auto log = eventlog::parse_event_log(binary::ByteView(found.eventlog));
    ASSERT_EQ(log.events().size(), 7u);
    const auto& data = log.events().back().data;
    EXPECT_EQ(std::string(data.begin(), data.end()),
              "drtm-inspect findings\n" + view.images[0].findings);
}

// Xen and its dom0 in one launch: Xen's records, then dom0's. hashlib:
// PCR 18 = E(E(E(E(0, H("xen")), H("xen-syms")), H("linux xen-pv")),
// H("golden bzImage")), PCR 19 = E(E(E(E(0, H(c3)), H("xen rodata")),
// H(90 90 c3)), H("rodata")).
TEST(InspectionMeasurement, TwoImagesAreMeasuredOneAfterTheOther) {
    Subject s;
    const binary::Bytes xen_text = {0xC3};
    auto both = s.view();
    both.images.front().rules = "linux xen-pv";
    both.images.insert(both.images.begin(),
                       {"xen", binary::as_bytes(std::string_view("xen-syms")), "ef", xen_text,
                        binary::as_bytes(std::string_view("xen rodata")), ""});
    const auto m = inspect::predict_inspection(both);
    const auto& sha256 = m.pcrs.at(HashAlg::sha256);
    EXPECT_EQ(sha256.at(17), inspect::predict_inspection(s.view()).pcrs.at(HashAlg::sha256).at(17));
    EXPECT_EQ(binary::to_hex(sha256.at(18)),
              "f02132e7355ec58ad74e86f870d6184559fa333d9940f2b4c5bcb498c099e80c");
    EXPECT_EQ(binary::to_hex(sha256.at(19)),
              "e83f73018c1e7290047b1c64a59ae1998be83d81826cb1420a705b9ee2c4addd");
    auto log = eventlog::parse_event_log(binary::ByteView(m.eventlog));
    ASSERT_EQ(log.events().size(), 10u);  // header, launch, then 4 per image
    const auto text = [&](std::size_t i) {
        const auto& d = log.events()[i].data;
        return std::string(d.begin(), d.end());
    };
    EXPECT_EQ(text(2), "drtm-inspect rules xen");
    EXPECT_EQ(text(3), "drtm-inspect golden image build-id ef");
    EXPECT_EQ(text(6), "drtm-inspect rules linux xen-pv");
    EXPECT_EQ(text(7), "drtm-inspect golden image build-id abcd");
}

// The same file under another platform's rules is another measurement.
TEST(InspectionMeasurement, TheRulesArePartOfPcr18) {
    Subject s;
    auto pv = s.view();
    pv.images.front().rules = "linux xen-pv";
    const auto a = inspect::predict_inspection(s.view()).pcrs.at(HashAlg::sha256);
    const auto b = inspect::predict_inspection(pv).pcrs.at(HashAlg::sha256);
    EXPECT_NE(a.at(18), b.at(18));
    EXPECT_EQ(a.at(19), b.at(19));
}

// An image whose inspection failed: its rules and golden file in PCR 18,
// and in PCR 19 only the findings record saying why. hashlib: PCR 19 =
// E(0, H("not inspected: dom0 not found\n")).
TEST(InspectionMeasurement, AnImageNotInspectedIsMeasuredAsSuch) {
    Subject s;
    auto failed = s.view();
    failed.images.front().inspected = false;
    failed.images.front().findings = "not inspected: dom0 not found\n";
    const auto m = inspect::predict_inspection(failed);
    const auto& sha256 = m.pcrs.at(HashAlg::sha256);
    EXPECT_EQ(sha256.at(18), inspect::predict_inspection(s.view()).pcrs.at(HashAlg::sha256).at(18));
    EXPECT_EQ(binary::to_hex(sha256.at(19)),
              "ee730a1cee2daab1cc03f8b28728d328da82d3796e5b46c56aa868c2433c4eef");
    auto log = eventlog::parse_event_log(binary::ByteView(m.eventlog));
    ASSERT_EQ(log.events().size(), 5u);  // header, launch, rules, golden, findings
    const auto& data = log.events().back().data;
    EXPECT_EQ(std::string(data.begin(), data.end()),
              "drtm-inspect findings\nnot inspected: dom0 not found\n");
}

// The LSMs running go to PCR 20: E(0, H("apparmor capability")) by
// hashlib in both banks. A prediction not told them leaves PCR 20 out.
TEST(InspectionMeasurement, TheLsmsRunningAreMeasuredIntoPcr20) {
    Subject s;
    auto subject = s.view();
    subject.images[0].lsms = "apparmor capability";
    const auto m = inspect::predict_inspection(subject);
    EXPECT_EQ(binary::to_hex(m.pcrs.at(HashAlg::sha256).at(20)),
              "674c984cec3082f81a5685dfcc7b164220f5692884b24ac366d81da2716f4f69");
    EXPECT_EQ(binary::to_hex(m.pcrs.at(HashAlg::sha1).at(20)),
              "c98b6c4a842ec26ab59d231f825bc9dbf3bf5003");
    EXPECT_EQ(m.records.back().pcr, 20u);
    EXPECT_EQ(inspect::to_json(m)["pcrs"]["sha256"]["20"],
              "674c984cec3082f81a5685dfcc7b164220f5692884b24ac366d81da2716f4f69");
    // PCR 17-19 as without it.
    const auto without = inspect::predict_inspection(s.view());
    for (std::uint32_t p = 17; p <= 19; ++p)
        EXPECT_EQ(m.pcrs.at(HashAlg::sha256).at(p), without.pcrs.at(HashAlg::sha256).at(p));

    subject.images[0].lsms.clear();
    subject.images[0].lsms_unknown = true;
    const auto unknown = inspect::to_json(inspect::predict_inspection(subject));
    EXPECT_FALSE(unknown["pcrs"]["sha256"].contains("20"));
    EXPECT_FALSE(unknown["pcrs"]["sha1"].contains("20"));
    EXPECT_TRUE(unknown["pcrs"]["sha256"].contains("19"));
    EXPECT_EQ(unknown["unpredicted_pcrs"], nlohmann::json::array({20}));
    // An image not inspected has no LSMs measured.
    subject.images[0].lsms_unknown = false;
    subject.images[0].lsms = "apparmor capability";
    subject.images[0].inspected = false;
    EXPECT_EQ(inspect::predict_inspection(subject).pcrs.at(HashAlg::sha256).at(20),
              binary::Bytes(32, 0));
}
