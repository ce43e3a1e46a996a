// JSON descriptions for `drtm image show`.
#include <gtest/gtest.h>

#include "image/json.hpp"
#include "image/test_dce.hpp"
#include "synthetic_bzimage.hpp"

using namespace drtm::image;
using drtm::binary::Bytes;

TEST(ImageJson, BzImage) {
    Bytes file = image_test::make_synthetic_bzimage();
    nlohmann::json j = to_json(parse_bzimage(file));
    EXPECT_EQ(j["type"], "bzImage");
    EXPECT_EQ(j["boot_protocol"], "2.15");
    EXPECT_EQ(j["payload_offset"], "0x400");
    EXPECT_EQ(j["secure_launch"], true);
    EXPECT_EQ(j["dlme_entry"], "0x180");
    EXPECT_EQ(j["mle_header"]["entry_point"], "0x180");
    EXPECT_EQ(j["kernel_info"]["mle_header_offset"], "0x80");
}

TEST(ImageJson, Dces) {
    Bytes skl = make_test_skl();
    nlohmann::json s = describe_slb(skl, parse_slb(skl, SlbLayout::amd_header));
    EXPECT_EQ(s["layout"], "amd_header");
    EXPECT_EQ(s["measured_length"], "0x1000");
    EXPECT_EQ(s["measured_sha256"],
              "2c4e05d541c997bd2e1f1ea369c120deb2fc618161c115879d291f6e79327e93");

    Bytes sinit = make_test_sinit();
    nlohmann::json a = describe_acm(sinit, parse_acm(sinit));
    EXPECT_EQ(a["type"], "sinit");
    EXPECT_EQ(a["date"], "2025-01-01");
    EXPECT_EQ(a["debug_signed"], true);
    EXPECT_EQ(a["info_table"]["os_sinit_data_ver"], 7);
    EXPECT_EQ(a["sinit_hash_sha256"],
              "31843b2b2cb4a9d86b53a9aa62dd3dfb627899d29d3a0d66469040d7a21c629b");
}

TEST(ImageJson, Mbi) {
    GrubMbiContents c;
    c.cmdline = "console=com1";
    c.modules = {{0x100000, 0x200000, "dom0"}};
    nlohmann::json j = to_json(parse_mbi(build_grub_mbi(c)));
    EXPECT_EQ(j["cmdline"], "console=com1");
    EXPECT_EQ(j["modules"][0]["mod_end"], "0x200000");
    EXPECT_EQ(j["tags"][0]["name"], "cmdline");
}
