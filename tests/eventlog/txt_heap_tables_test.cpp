// The heap tables of a real server's TXT heap (intel-secl's txt_heap_info.bin),
// decoded. Expected values were read from the file with Python's struct module
// at the SDG / tboot heap.h offsets, not with drtm.
#include <gtest/gtest.h>

#include "binary/error.hpp"
#include "eventlog/txt_heap.hpp"
#include "eventlog/txt_heap_tables.hpp"
#include "test_support.hpp"

using namespace drtm;
using namespace drtm::eventlog;

namespace {

struct RealHeap {
    binary::Bytes image = test::read(test::real_logs_dir() / "intel-secl/txt_heap_info.bin");
    TxtHeapInfo info = parse_txt_heap_image(image);
};

}  // namespace

TEST(TxtHeapTables, BiosDataOfARealServer) {
    RealHeap h;
    auto t = decode_txt_heap_tables(h.image, h.info);
    EXPECT_EQ(t.bios_data.version, 3u);
    EXPECT_EQ(t.bios_data.bios_sinit_size, 0x40000u);
    EXPECT_EQ(t.bios_data.lcp_pd_base, 0x6FB00000u);
    EXPECT_EQ(t.bios_data.lcp_pd_size, 0x300Cu);
    EXPECT_EQ(t.bios_data.num_logical_processors, 72u);
    EXPECT_EQ(t.bios_data.sinit_flags, 0u);
    EXPECT_EQ(t.bios_data.mle_flags, 0u);
    EXPECT_TRUE(t.bios_data.elements.empty());  // version 3 has none
}

TEST(TxtHeapTables, OsSinitDataOfARealServer) {
    RealHeap h;
    auto o = decode_txt_heap_tables(h.image, h.info).os_sinit_data;
    EXPECT_EQ(o.version, 7u);
    EXPECT_EQ(o.flags, 1u);
    EXPECT_EQ(o.mle_page_table_base, 0x801000u);
    EXPECT_EQ(o.mle_size, 0x46000u);
    EXPECT_EQ(o.mle_header_base, 0x1a1e0u);
    EXPECT_EQ(o.pmr_low_base, 0u);
    EXPECT_EQ(o.pmr_low_size, 0x66a00000u);
    EXPECT_EQ(o.pmr_high_base, 0x100c00000u);
    EXPECT_EQ(o.pmr_high_size, 0xb3f400000u);
    EXPECT_EQ(o.capabilities, 0x201u);
    EXPECT_EQ(os_sinit_capability_names(o.capabilities),
              (std::vector<std::string>{"GETSEC_WAKEUP", "TCG_EVENT_LOG"}));
    EXPECT_EQ(o.efi_rsdp, 0u);
}

TEST(TxtHeapTables, SinitMleDataWithItsMemoryDescriptors) {
    RealHeap h;
    auto t = decode_txt_heap_tables(h.image, h.info);
    ASSERT_TRUE(t.sinit_mle_data);
    const auto& s = *t.sinit_mle_data;
    EXPECT_EQ(s.version, 9u);
    EXPECT_EQ(s.rlp_wakeup_address, 0x6fec2c20u);
    EXPECT_EQ(s.num_mdrs, 6u);
    EXPECT_EQ(s.mdrs_offset, 0x19aeu);
    EXPECT_EQ(s.vtd_dmar_size, 0x1e0u);
    EXPECT_EQ(s.vtd_dmar_offset, 0x17ceu);
    EXPECT_EQ(s.processor_scrtm_status, 0u);
    EXPECT_EQ(s.sinit_hash, binary::Bytes(20, 0));  // version 9: the SHA-1 fields are zero
    ASSERT_EQ(s.mdrs.size(), 6u);
    EXPECT_EQ(s.mdrs[0].base, 0u);
    EXPECT_EQ(s.mdrs[0].length, 0xa0000u);
    EXPECT_EQ(s.mdrs[3].base, 0x70000000u);
    EXPECT_EQ(s.mdrs[3].length, 0x8000000u);
    EXPECT_EQ(mdr_type_name(s.mdrs[3].type), "SMRAM NON-OVERLAY");
    EXPECT_EQ(mdr_type_name(s.mdrs[4].type), "PCIE EXTENDED CONFIG");
    EXPECT_EQ(s.mdrs[5].base, 0x100000000u);
    EXPECT_EQ(s.mdrs[5].length, 0xb40000000u);
    ASSERT_EQ(s.elements.size(), 3u);
    EXPECT_EQ(heap_element_name(s.elements[0].type), "MADT");
    EXPECT_EQ(s.elements[0].size, 0x16e6u);
    EXPECT_EQ(heap_element_name(s.elements[1].type), "MCFG");
    EXPECT_EQ(heap_element_name(s.elements[2].type), "END");
}

TEST(TxtHeapTables, MemoryDescriptorsOutsideTheTableAreRefusedAtTheirField) {
    RealHeap h;
    // num_mdrs sits 128 bytes into SinitMleData's body.
    const std::size_t num_mdrs_at = h.info.sinit_mle_data.offset + 8 + 128;
    h.image[num_mdrs_at] = 0xff;
    try {
        decode_txt_heap_tables(h.image, h.info);
        FAIL() << "accepted 255 MDRs";
    } catch (const binary::ParseError& e) {
        EXPECT_EQ(e.offset(), num_mdrs_at);
        EXPECT_NE(std::string(e.what()).find("do not fit"), std::string::npos) << e.what();
    }
}

TEST(TxtHeapTables, BeforeALaunchSinitMleDataIsEmpty) {
    RealHeap h;
    h.info.sinit_mle_data.size = 8;
    auto t = decode_txt_heap_tables(h.image, h.info);
    EXPECT_FALSE(t.sinit_mle_data);
    ASSERT_EQ(t.notes.size(), 1u);
    EXPECT_NE(t.notes[0].find("SINIT has not run"), std::string::npos);
}

TEST(TxtHeapTables, JsonNamesTheFields) {
    RealHeap h;
    auto j = to_json(decode_txt_heap_tables(h.image, h.info));
    EXPECT_EQ(j["bios_data"]["num_logical_processors"], 72);
    EXPECT_EQ(j["os_sinit_data"]["capability_names"][1], "TCG_EVENT_LOG");
    EXPECT_EQ(j["sinit_mle_data"]["mdrs"].size(), 6u);
    EXPECT_EQ(j["sinit_mle_data"]["mdrs"][3]["type_name"], "SMRAM NON-OVERLAY");
}
