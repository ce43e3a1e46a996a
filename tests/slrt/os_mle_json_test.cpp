// OS-MLE layouts (formats.md §1.12, offsets by hand) and the JSON description.
#include <gtest/gtest.h>

#include "binary/error.hpp"
#include "byte_peek.hpp"
#include "slrt/errors.hpp"
#include "slrt/grub_policy.hpp"
#include "slrt/json.hpp"
#include "slrt/os_mle.hpp"

using namespace drtm::slrt;
using namespace slrt_test;

namespace {

OsMleData sample(OsMleLayout layout) {
    OsMleData d;
    d.layout = layout;
    d.version = 1;
    d.boot_params_addr = layout == OsMleLayout::kernel_2025 ? 0 : 0x8a000;
    d.slrt = 0x7f01000;
    d.txt_info = 0x7f02000;
    d.ap_wake_block = 0x9c000;
    d.ap_wake_block_size = 0x14000;
    d.mle_scratch[0] = 0xEE;
    return d;
}

}  // namespace

TEST(OsMle, SpecLayout104) {
    Bytes b = serialize_os_mle(sample(OsMleLayout::spec));
    ASSERT_EQ(b.size(), 104u);
    EXPECT_EQ(u32(b, 0x00), 1u);
    EXPECT_EQ(u64(b, 0x08), 0x8a000u);
    EXPECT_EQ(u64(b, 0x10), 0x7f01000u);
    EXPECT_EQ(u64(b, 0x18), 0x7f02000u);
    EXPECT_EQ(u32(b, 0x20), 0x9c000u);
    EXPECT_EQ(u32(b, 0x24), 0x14000u);
    EXPECT_EQ(b[0x28], 0xEE);
}

TEST(OsMle, Kernel2025Layout96) {
    Bytes b = serialize_os_mle(sample(OsMleLayout::kernel_2025));
    ASSERT_EQ(b.size(), 96u);
    EXPECT_EQ(u64(b, 0x08), 0x7f01000u);
    EXPECT_EQ(u64(b, 0x10), 0x7f02000u);
    EXPECT_EQ(u32(b, 0x18), 0x9c000u);
    EXPECT_EQ(u32(b, 0x1C), 0x14000u);
    EXPECT_EQ(b[0x20], 0xEE);
}

TEST(OsMle, AemLayout88) {
    Bytes b = serialize_os_mle(sample(OsMleLayout::aem));
    ASSERT_EQ(b.size(), 88u);
    EXPECT_EQ(u32(b, 0x04), 0x8a000u);
    EXPECT_EQ(u32(b, 0x08), 0x7f01000u);
    EXPECT_EQ(u32(b, 0x0C), 0x7f02000u);
    EXPECT_EQ(u32(b, 0x10), 0x9c000u);
    EXPECT_EQ(u32(b, 0x14), 0x14000u);
    EXPECT_EQ(b[0x18], 0xEE);
    OsMleData wide = sample(OsMleLayout::aem);
    wide.slrt = 0x100000000ull;
    EXPECT_THROW(serialize_os_mle(wide), BuildError);
}

TEST(OsMle, RoundTripAndWrongSize) {
    for (OsMleLayout l : {OsMleLayout::spec, OsMleLayout::kernel_2025, OsMleLayout::aem}) {
        OsMleData d = sample(l);
        EXPECT_EQ(parse_os_mle(serialize_os_mle(d), l), d);
    }
    Bytes b = serialize_os_mle(sample(OsMleLayout::spec));
    EXPECT_THROW(parse_os_mle(b, OsMleLayout::aem), drtm::binary::ParseError);
}

TEST(SlrtJson, DescribesTheTable) {
    GrubLinuxPolicyInput in;
    in.slrt_base = 0x1000;
    in.boot_params = 0x2000;
    AmdInfo a;
    a.slrt_base = 0x1000;
    Table t = grub_table(Architecture::amd_skinit, 4096, DlInfo{}, LogInfo{}, grub_linux_policy(in),
                         Entry{a});
    nlohmann::json j = to_json(t);
    EXPECT_EQ(j["architecture"], "AMD_SKINIT");
    EXPECT_EQ(j["size"], t.size());
    ASSERT_EQ(j["entries"].size(), 4u);
    EXPECT_EQ(j["entries"][0]["tag"], "DL_INFO");
    EXPECT_EQ(j["entries"][0]["offset"], "0x10");
    EXPECT_EQ(j["entries"][2]["fields"]["entries"][0]["evt_info"], "Measured SLR Table");
    EXPECT_EQ(j["entries"][2]["fields"]["entries"][0]["flags"], "IMPLICIT_SIZE");
    EXPECT_EQ(j["entries"][2]["fields"]["entries"][6]["entity_type"], "UNUSED");
    EXPECT_EQ(j["entries"][3]["fields"]["slrt_base"], "0x1000");
    EXPECT_EQ(to_json(sample(OsMleLayout::aem))["size"], 88);
}
