#include "image/vmlinux.hpp"

#include "binary/error.hpp"
#include "image/bzimage.hpp"
#include "image/gzip.hpp"
#include "image/xz.hpp"

namespace drtm::image {

using binary::ParseError;

VmlinuxImage extract_vmlinux(binary::ByteView file) {
    auto bz = parse_bzimage(file);
    VmlinuxImage v;
    const std::size_t start = bz.payload_offset + bz.header.payload_offset;
    v.payload_file_offset = start;
    v.payload_size = bz.header.payload_length;
    if (bz.header.payload_length == 0)
        throw ParseError(0x248, "the setup header names no compressed payload (payload_length 0)");
    if (start > file.size() || bz.header.payload_length > file.size() - start)
        throw ParseError(0x248, "the payload (" + std::to_string(bz.header.payload_length) +
                                    " bytes at " + binary::format_offset(start) +
                                    ") runs past the end of the file");
    auto payload = file.subspan(start, bz.header.payload_length);
    if (payload.size() < 4) throw ParseError(start, "the payload is shorter than its size field");

    // The build appends the uncompressed size (size_append in Makefile.lib):
    // it caps the decompression, so a small hostile file cannot make it
    // allocate more.
    const auto* t = payload.data() + payload.size() - 4;
    std::uint32_t stated = t[0] | (t[1] << 8) | (t[2] << 16) | (std::uint32_t(t[3]) << 24);
    binary::Bytes output;
    try {
        if (looks_xz(payload)) {
            v.compression = "xz";
            output = unxz(payload, stated).output;
        } else if (looks_gzip(payload)) {
            v.compression = "gzip";
            // The size field follows the gzip member: decompress without it.
            output = gunzip(payload.first(payload.size() - 4), stated);
        } else {
            throw ParseError(0,
                             "the payload is neither xz nor gzip (other kernel compressions "
                             "are not supported)");
        }
    } catch (const ParseError& e) {
        throw e.rebased(start);
    }
    if (stated != output.size())
        throw ParseError(start + payload.size() - 4,
                         "the payload says it decompresses to " + std::to_string(stated) +
                             " bytes, but it gave " + std::to_string(output.size()));
    if (!looks_elf(output)) throw ParseError(start, "the decompressed payload is not an ELF file");

    ElfImage elf;
    try {
        elf = ElfImage::parse(output);
    } catch (const ParseError& e) {
        throw ParseError(start, "in the decompressed vmlinux, offset " +
                                    binary::format_offset(e.offset()) + ": " + e.reason());
    }
    const std::size_t end = elf.end_of_image();
    v.relocations.assign(output.begin() + static_cast<std::ptrdiff_t>(end), output.end());
    output.resize(end);
    v.elf = std::move(output);
    return v;
}

}  // namespace drtm::image
