// OsMleData read by its Secure Launch layout. The heap below is packed by
// hand from formats.md §1.12 (AEM GRUB + Xen: every address a u32).
#include <gtest/gtest.h>

#include "eventlog/txt_heap.hpp"
#include "host/loader_os_mle.hpp"
#include "support/fixture_tree.hpp"

using namespace drtm;

namespace {

void u32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void u64(std::vector<std::uint8_t>& b, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::vector<std::uint8_t> heap_with_aem_os_mle() {
    std::vector<std::uint8_t> h;
    u64(h, 8 + 28);  // BiosData: version 2, sinit size, lcp pd base/size, 1 CPU
    u32(h, 2);
    u32(h, 0);
    u64(h, 0);
    u64(h, 0);
    u32(h, 1);
    u64(h, 8 + 88);            // OsMleData, AEM layout
    u32(h, 1);                 // version
    u32(h, 0x12000);           // boot_params_addr
    u32(h, 0x7e000000);        // slrt
    u32(h, 0x7e001000);        // txt_info
    u32(h, 0x9a000);           // ap_wake_block
    u32(h, 0x1000);            // ap_wake_block_size
    h.insert(h.end(), 64, 0);  // mle_scratch
    u64(h, 8 + 92 + 8);        // OsSinitData version 7, then an END element
    u32(h, 7);
    h.insert(h.end(), 88, 0);
    u32(h, 0);
    u32(h, 8);
    u64(h, 8);  // SinitMleData: empty (SINIT has not run)
    return h;
}

}  // namespace

TEST(LoaderOsMle, TheAemLayoutIsReadByItsSize) {
    auto heap = heap_with_aem_os_mle();
    auto info = eventlog::parse_txt_heap(heap, 0, heap.size());
    auto m = host::secure_launch_os_mle(heap, info);
    ASSERT_TRUE(m);
    EXPECT_STREQ(host::os_mle_layout_name(m->layout), "aem");
    EXPECT_EQ(m->version, 1u);
    EXPECT_EQ(m->boot_params_addr, 0x12000u);
    EXPECT_EQ(m->slrt, 0x7e000000u);
    EXPECT_EQ(m->txt_info, 0x7e001000u);
    EXPECT_EQ(m->ap_wake_block, 0x9a000u);
    EXPECT_EQ(m->ap_wake_block_size, 0x1000u);
}

TEST(LoaderOsMle, TbootsTableIsNotASecureLaunchLayout) {
    auto image = test::read_bytes(test::real_logs_dir() / "intel-secl/txt_heap_info.bin");
    auto info = eventlog::parse_txt_heap_image(image);
    EXPECT_FALSE(host::secure_launch_os_mle(image, info));
}
