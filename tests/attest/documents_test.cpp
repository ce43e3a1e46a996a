// Evidence and appraisal policies: what is written parses back; malformed
// or oversized documents are refused with the field named, before decoding.
#include <gtest/gtest.h>

#include "attest/appraisal_policy.hpp"
#include "attest/evidence.hpp"

using namespace drtm;

namespace {
attest::Evidence sample() {
    attest::Evidence e;
    e.node = "node-1";
    e.ak_public = binary::Bytes{0x00, 0x02, 0xaa, 0xbb};
    e.quote_attest = binary::Bytes(40, 0x11);
    e.quote_signature = binary::Bytes(72, 0x22);
    e.pcrs[crypto::HashAlg::sha256][17] = binary::Bytes(32, 0x17);
    e.eventlog = binary::Bytes{1, 2, 3, 4, 5};
    return e;
}
std::string error_of(const std::string& text) {
    try {
        attest::parse_evidence(text);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(Evidence, RoundTrip) {
    auto e = sample();
    auto back = attest::parse_evidence(attest::serialize(e));
    EXPECT_EQ(back.node, e.node);
    EXPECT_EQ(back.ak_public, e.ak_public);
    EXPECT_EQ(back.quote_attest, e.quote_attest);
    EXPECT_EQ(back.quote_signature, e.quote_signature);
    EXPECT_EQ(back.pcrs, e.pcrs);
    EXPECT_EQ(back.eventlog, e.eventlog);
}

TEST(Evidence, MalformedAndOversizedAreRefused) {
    auto good = attest::to_json(sample());
    EXPECT_NE(error_of("{\"format\":").find("offset"), std::string::npos);
    EXPECT_NE(error_of("[]").find("not a JSON object"), std::string::npos);
    auto j = good;
    j.erase("quote");
    EXPECT_NE(error_of(j.dump()).find("'quote'"), std::string::npos);
    j = good;
    j["ak_public"] = "xyz";
    EXPECT_NE(error_of(j.dump()).find("'ak_public'"), std::string::npos);
    j = good;
    j["eventlog"] = "*not base64*";
    EXPECT_NE(error_of(j.dump()).find("'eventlog'"), std::string::npos);
    j = good;
    j["version"] = 2;
    EXPECT_NE(error_of(j.dump()).find("version"), std::string::npos);
    j = good;
    j["eventlog"] = std::string(attest::kMaxEventLogBytes / 3 * 4 + 8, 'A');
    EXPECT_NE(error_of(j.dump()).find("limit"), std::string::npos);
    EXPECT_NE(error_of(std::string(attest::kMaxEvidenceBytes + 1, ' ')).find("limit"),
              std::string::npos);
}

TEST(AppraisalPolicy, ParsesReferenceValuesInBothShapes) {
    const std::string v17(64, 'a'), v18(64, 'b');
    auto p = attest::parse_policy(R"({"format":"drtm-appraisal-policy","version":1,"id":"fleet",
        "reference_values":[{"17":")" +
                                  v17 + R"("},
                            {"pcrs":{"sha256":{"17":")" +
                                  v17 + R"(","18":")" + v18 + R"("}}}],
        "allowlist":{"Measured Kernel":[")" +
                                  v18 + R"("]},
        "required_events":["Measured Kernel"]})");
    EXPECT_EQ(p.id, "fleet");
    ASSERT_EQ(p.reference_values.size(), 2u);
    EXPECT_EQ(p.reference_values[0].size(), 1u);
    EXPECT_EQ(p.reference_values[1].size(), 2u);
    EXPECT_EQ(p.allowlist.at("Measured Kernel").size(), 1u);
    auto again = attest::parse_policy(attest::to_json(p).dump());
    EXPECT_EQ(again.reference_values, p.reference_values);
}

TEST(AppraisalPolicy, RefusesBadPolicies) {
    auto error = [](const std::string& text) {
        try {
            attest::parse_policy(text);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    const std::string head = R"({"format":"drtm-appraisal-policy","version":1,)";
    EXPECT_NE(error("{}").find("not a drtm appraisal policy"), std::string::npos);
    EXPECT_NE(error(head + R"("reference_values":[{"17":"abcd"}]})").find("wrong size"),
              std::string::npos);
    EXPECT_NE(error(head + R"("reference_values":[{"x":"abcd"}]})").find("not a PCR index"),
              std::string::npos);
    EXPECT_NE(error(head + R"("pcrs":[24]})").find("not a whole number 0-23"), std::string::npos);
    // Numbers no integer holds, or not whole: refused, not converted (a
    // float-to-int conversion out of range is undefined behaviour; fuzz_policy
    // found the version case).
    EXPECT_NE(error(R"({"format":"drtm-appraisal-policy","version":7777777777775555555555})")
                  .find("not a drtm appraisal policy"),
              std::string::npos);
    EXPECT_NE(error(R"({"format":"drtm-appraisal-policy","version":1.5})")
                  .find("not a drtm appraisal policy"),
              std::string::npos);
    for (const char* pcrs : {"[1e30]", "[17.5]", "[-1]", "[\"17\"]", "17"})
        EXPECT_NE(error(head + R"("pcrs":)" + pcrs + "}").find("'pcrs'"), std::string::npos)
            << pcrs;
    // 1.0 is the version 1 written as a float: JSON does not tell them apart.
    EXPECT_EQ(error(R"({"format":"drtm-appraisal-policy","version":1.0})"), "");
    EXPECT_NE(error(head + R"("bank":"md5"})").find("unknown bank"), std::string::npos);
}
