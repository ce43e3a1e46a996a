// The x86-64 kernel relocation table (arch/x86/tools/relocs, appended to
// vmlinux.bin before compression; read by the decompressor's
// handle_relocations()). An array of u32 read backwards from the end:
//
//   32-bit sites ... 0 | inverse-32-bit sites ... 0 | 64-bit sites ... 0   (reading backwards)
//
// Each entry is a kernel virtual address truncated to 32 bits; sign-extended
// it is the VA of a field the decompressor adjusts by the KASLR delta
// (32-bit: += delta, inverse 32-bit: -= delta, 64-bit: += delta).
#pragma once

#include <cstdint>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::image {

struct X86Relocations {
    std::vector<std::uint64_t> rel32;
    std::vector<std::uint64_t> inverse32;
    std::vector<std::uint64_t> rel64;
};

// `table` must be exactly the relocation table: the three groups with their
// terminators and nothing before them. `base` is the table's offset in the
// file the user gave, for error messages.
X86Relocations parse_x86_relocations(binary::ByteView table, std::size_t base = 0);

}  // namespace drtm::image
