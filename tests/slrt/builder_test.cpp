// The builder against the byte layout of reference/formats.md §1.4–1.5, offsets
// written out by hand.
#include <gtest/gtest.h>

#include "byte_peek.hpp"
#include "slrt/errors.hpp"
#include "slrt/table_builder.hpp"

using namespace drtm::slrt;
using namespace slrt_test;

TEST(TableBuilder, InitialisedTableIsHeaderPlusEnd) {
    TableBuilder b(Architecture::amd_skinit, 4096);
    const Bytes& t = b.bytes();
    ASSERT_EQ(t.size(), 24u);
    // Magic reads "MTRD" in memory.
    EXPECT_EQ(text(t, 0, 4), "MTRD");
    EXPECT_EQ(u32(t, 0x00), 0x4452544Du);
    EXPECT_EQ(u16(t, 0x04), 1);        // revision
    EXPECT_EQ(u16(t, 0x06), 2);        // AMD SKINIT
    EXPECT_EQ(u32(t, 0x08), 24u);      // size
    EXPECT_EQ(u32(t, 0x0C), 4096u);    // max_size
    EXPECT_EQ(u32(t, 0x10), 0xFFFFu);  // END tag
    EXPECT_EQ(u32(t, 0x14), 8u);       // END size
}

TEST(TableBuilder, AddOverwritesEndAndWritesItAgain) {
    TableBuilder b(Architecture::intel_txt, 4096);
    DlInfo dl;
    dl.dce_size = 0x1111;
    dl.dce_base = 0x2222;
    dl.dlme_size = 0x3333;
    dl.dlme_base = 0x4444;
    dl.dlme_entry = 0x5555;
    dl.bl_context.bootloader = 1;
    dl.bl_context.context = 0x6666;
    dl.dl_handler = 0x7777;
    b.add(dl);
    const Bytes& t = b.bytes();
    ASSERT_EQ(t.size(), 24u + 72u);
    EXPECT_EQ(u32(t, 0x08), 96u);
    // DL_INFO at 0x10.
    const std::size_t e = 0x10;
    EXPECT_EQ(u32(t, e + 0x00), 1u);
    EXPECT_EQ(u32(t, e + 0x04), 72u);
    EXPECT_EQ(u64(t, e + 0x08), 0x1111u);  // dce_size
    EXPECT_EQ(u64(t, e + 0x10), 0x2222u);  // dce_base
    EXPECT_EQ(u64(t, e + 0x18), 0x3333u);  // dlme_size
    EXPECT_EQ(u64(t, e + 0x20), 0x4444u);  // dlme_base
    EXPECT_EQ(u64(t, e + 0x28), 0x5555u);  // dlme_entry
    EXPECT_EQ(u16(t, e + 0x30), 1);        // bl_context.bootloader
    EXPECT_EQ(u16(t, e + 0x32), 0);        // reserved[3]
    EXPECT_EQ(u64(t, e + 0x38), 0x6666u);  // bl_context.context
    EXPECT_EQ(u64(t, e + 0x40), 0x7777u);  // dl_handler
    // END moved behind it.
    EXPECT_EQ(u32(t, 0x58), 0xFFFFu);
    EXPECT_EQ(u32(t, 0x5C), 8u);

    b.add(LogInfo{});
    EXPECT_EQ(b.size(), 96u + 24u);
    EXPECT_EQ(u32(b.bytes(), 0x58), 2u);  // LOG_INFO replaced the old END
    EXPECT_EQ(u32(b.bytes(), 0x70), 0xFFFFu);
}

TEST(TableBuilder, MaxSizeIsEnforcedLikeTheKernel) {
    // 24 + 72 = 96 fits exactly; one more byte of entry does not.
    TableBuilder exact(Architecture::intel_txt, 96);
    EXPECT_NO_THROW(exact.add(DlInfo{}));
    EXPECT_THROW(exact.add(OpaqueEntry{6, {}}), BuildError);
    EXPECT_EQ(exact.size(), 96u);  // unchanged after the failed add

    TableBuilder small(Architecture::intel_txt, 95);
    EXPECT_THROW(small.add(DlInfo{}), BuildError);
    EXPECT_EQ(small.size(), 24u);

    EXPECT_THROW(TableBuilder(Architecture::intel_txt, 23), BuildError);
}

TEST(TableBuilder, RefusesEndAndInvalidEntries) {
    TableBuilder b(Architecture::intel_txt, 4096);
    EXPECT_THROW(b.add(OpaqueEntry{0xFFFF, {}}), BuildError);
    EXPECT_THROW(b.add(OpaqueEntry{0, {}}), BuildError);
    Bytes lying = {6, 0, 0, 0, 12, 0, 0, 0};  // says 12 bytes, has 8
    EXPECT_THROW(b.add_encoded(lying), BuildError);
}

TEST(TableBuilder, MemoryImageIsZeroPaddedToMaxSize) {
    TableBuilder b(Architecture::amd_skinit, 256);
    b.add(LogInfo{});
    Bytes image = b.memory_image();
    ASSERT_EQ(image.size(), 256u);
    EXPECT_TRUE(std::equal(b.bytes().begin(), b.bytes().end(), image.begin()));
    for (std::size_t i = b.size(); i < image.size(); ++i) ASSERT_EQ(image[i], 0) << i;
}
