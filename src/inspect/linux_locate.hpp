// Where a running Linux kernel is in guest memory, KASLR included
// (reference/runtime-inspection.md §4.2): the physical address of its .text
// and the virtual offset the decompressor moved it by, and undoing that
// offset in a copy so it compares with the golden image.
//
//   1. Physical: scan the 2 MiB-aligned guest-physical addresses for the
//      first pages of the golden .text, comparing only bytes that are
//      neither relocation fields nor patch sites. The link address
//      (a PVH or nokaslr boot) is tried first.
//   2. Virtual: at each 32-bit relocation field of .text outside the patch
//      sites, memory − golden is the offset; a majority must agree, and the
//      offset must be 2 MiB-aligned (CONFIG_PHYSICAL_ALIGN).
//   3. Undo: subtract the offset at 32- and 64-bit fields, add it at
//      inverse-32 fields.
#pragma once

#include <cstdint>

#include "binary/bytes.hpp"
#include "image/x86_relocs.hpp"
#include "inspect/guest_memory.hpp"

namespace drtm::inspect {

class LinuxGolden;

struct LinuxPlacement {
    std::uint64_t text_physical = 0;
    std::int64_t virtual_delta = 0;  // runtime VA − link VA
    std::size_t delta_votes = 0;     // relocation fields that agreed
    std::size_t delta_voters = 0;    // relocation fields read
};

// Throws std::runtime_error saying what was not found.
LinuxPlacement locate_linux(const LinuxGolden& golden, const GuestMemory& ram);

// `copy` holds the runtime bytes of link addresses [va, va + size).
void undo_relocations(binary::Bytes& copy, std::uint64_t va, std::int64_t delta,
                      const image::X86Relocations& relocations);

}  // namespace drtm::inspect
