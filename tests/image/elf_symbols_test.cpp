// .symtab as a kernel symbol table, on the hand-made image of tiny_elf.hpp:
// "start" is a GLOBAL FUNC in .text (flags AX), "data_obj" a GLOBAL OBJECT
// in .bss (flags WA), so nm would call them T and B; drtm types by section
// flags: T and D.
#include "image/elf_symbols.hpp"

#include <gtest/gtest.h>

#include "support/tiny_elf.hpp"

using namespace drtm;

TEST(ElfKernelSymbols, TypesFollowTheSectionAndBinding) {
    auto bytes = testsupport::TinyElf(true).build();
    auto elf = image::ElfImage::parse(bytes);
    auto symbols = image::elf_kernel_symbols(elf);
    ASSERT_EQ(symbols.size(), 2u);
    EXPECT_EQ(symbols.require("start"), testsupport::kTextAddr);
    EXPECT_EQ(symbols.require("data_obj"), testsupport::kTextAddr + 0x100);
    ASSERT_EQ(symbols.at(testsupport::kTextAddr).size(), 1u);
    EXPECT_EQ(symbols.at(testsupport::kTextAddr)[0].type, 'T');
    EXPECT_EQ(symbols.at(testsupport::kTextAddr + 0x100)[0].type, 'D');
    EXPECT_EQ(symbols.symbolize(testsupport::kTextAddr + 5), "start+0x5");
}
