#include "launch/txt_platform.hpp"

#include <gtest/gtest.h>

using drtm::launch::txt_platform_from_json;
using drtm::launch::TxtPlatform;

TEST(TxtPlatform, DefaultsAreGrubsRequestWithoutLcpOrStm) {
    TxtPlatform p = txt_platform_from_json(nlohmann::json::object(), "test");
    EXPECT_EQ(p.senter_edx, 0u);
    EXPECT_EQ(p.os_sinit_capabilities, (1u << 4) | (1u << 5) | (1u << 9));
    EXPECT_EQ(p.bios_acm_registration_data.size(), 32u);
    EXPECT_FALSE(p.stm.has_value());
    EXPECT_EQ(p.sinit_pubkey_pcr, 18u);
}

TEST(TxtPlatform, ReadsNumbersHexAndBytes) {
    auto p = txt_platform_from_json({{"os_sinit_capabilities", "0x601"},
                                     {"cpu_scrtm_status", 1},
                                     {"stm", "aabb"},
                                     {"sinit_pubkey_pcr", 17}},
                                    "test");
    EXPECT_EQ(p.os_sinit_capabilities, 0x601u);
    EXPECT_EQ(p.stm, (drtm::binary::Bytes{0xAA, 0xBB}));
    EXPECT_EQ(p.sinit_pubkey_pcr, 17u);
    // Round trip through the JSON the summary prints.
    EXPECT_EQ(txt_platform_from_json(drtm::launch::to_json(p), "again").stm, p.stm);
}

TEST(TxtPlatform, ErrorsNameTheFileAndKey) {
    auto expect_error = [](const nlohmann::json& j, const std::string& needle) {
        try {
            txt_platform_from_json(j, "plat.json");
            FAIL() << "expected an error for " << j.dump();
        } catch (const std::runtime_error& e) {
            std::string what = e.what();
            EXPECT_NE(what.find("plat.json"), std::string::npos) << what;
            EXPECT_NE(what.find(needle), std::string::npos) << what;
        }
    };
    expect_error({{"lcp_detials", "00"}}, "unknown key 'lcp_detials'");
    expect_error({{"bios_acm_registration_data", "00"}}, "32 bytes");
    expect_error({{"nv_info", "xyz"}}, "nv_info");
    expect_error({{"cpu_scrtm_status", -1}}, "cpu_scrtm_status");
    expect_error({{"sinit_pubkey_pcr", 19}}, "17 or 18");
    expect_error(nlohmann::json::array(), "JSON object");
}
