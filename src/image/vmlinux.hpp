// The kernel ELF inside a bzImage. The protected-mode part's payload
// (setup header payload_offset/payload_length) is the compressed
// vmlinux.bin — `objcopy -R .comment -S vmlinux`: section headers kept,
// symbols stripped — followed by the relocation table, then the 4-byte
// little-endian uncompressed size. Runtime inspection compares guest memory
// with this ELF's sections (its .text is byte-identical to the -dbg vmlinux).
#pragma once

#include <string>

#include "binary/bytes.hpp"
#include "image/elf.hpp"
#include "image/x86_relocs.hpp"

namespace drtm::image {

struct VmlinuxImage {
    std::string compression;              // "xz" or "gzip"
    std::size_t payload_file_offset = 0;  // of the compressed stream in the bzImage
    std::size_t payload_size = 0;         // compressed bytes (payload_length)
    binary::Bytes elf;                    // vmlinux.bin
    binary::Bytes relocations;            // the raw table (may be empty: non-relocatable kernel)
};

// Throws binary::ParseError with offsets into the bzImage (or into the
// decompressed data, said so in the message).
VmlinuxImage extract_vmlinux(binary::ByteView bzimage);

}  // namespace drtm::image
