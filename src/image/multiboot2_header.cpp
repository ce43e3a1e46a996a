#include "image/multiboot2_header.hpp"
#include "binary/bytes.hpp"

#include <cstdio>
#include <string>

#include "binary/error.hpp"
#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "image/errors.hpp"

namespace drtm::image {

using binary::ParseError;
using binary::Reader;

namespace {

constexpr std::size_t kFixedHeader = 16;
constexpr std::size_t kTagAlign = 8;

std::string hex(std::uint64_t v) {
    return binary::hex_number(v);
}

std::size_t align8(std::size_t v) {
    return (v + kTagAlign - 1) & ~(kTagAlign - 1);
}

void decode_known_tag(Multiboot2Header& h, const Mb2HeaderTag& tag) {
    Reader body(tag.data, tag.offset + 8);
    switch (tag.type) {
        case mb2_header_tag::entry_address:
            h.entry_addr = body.u32le();
            break;
        case mb2_header_tag::entry_address_efi64:
            h.entry_addr_efi64 = body.u32le();
            break;
        case mb2_header_tag::relocatable: {
            Mb2RelocatableTag rel;
            rel.min_addr = body.u32le();
            rel.max_addr = body.u32le();
            rel.align = body.u32le();
            rel.preference = body.u32le();
            h.relocatable = rel;
            break;
        }
        case mb2_header_tag::information_request:
            while (body.remaining() >= 4) h.requested_info.push_back(body.u32le());
            break;
        default:
            break;
    }
}

Multiboot2Header parse_at(binary::ByteView image, std::size_t offset) {
    Reader r(image);
    r.seek(offset);
    if (image.size() - offset < kFixedHeader)
        r.fail_at(offset, "multiboot2 header cut short: 16 bytes needed, " +
                              std::to_string(image.size() - offset) + " left");
    Multiboot2Header h;
    h.offset = offset;
    std::uint32_t magic = r.u32le();
    h.architecture = r.u32le();
    h.header_length = r.u32le();
    h.checksum = r.u32le();
    std::uint32_t sum = magic + h.architecture + h.header_length + h.checksum;
    if (sum != 0)
        r.fail_at(offset + 12, "multiboot2 header checksum " + hex(h.checksum) +
                                   " is wrong: magic + architecture + header_length + checksum = " +
                                   hex(sum) + ", must be 0");
    if (h.architecture != kMultiboot2ArchI386 && h.architecture != kMultiboot2ArchMips32)
        r.fail_at(offset + 4, "unknown multiboot2 architecture " + std::to_string(h.architecture));
    if (h.header_length < kFixedHeader + 8)
        r.fail_at(offset + 8, "multiboot2 header_length " + std::to_string(h.header_length) +
                                  " leaves no room for the END tag");
    if (h.header_length > image.size() - offset)
        r.fail_at(offset + 8, "multiboot2 header_length " + std::to_string(h.header_length) +
                                  " runs past the image");

    std::size_t end = offset + h.header_length;
    std::size_t pos = offset + kFixedHeader;
    bool saw_end = false;
    while (pos < end) {
        if (end - pos < 8) r.fail_at(pos, "multiboot2 header tag cut short by header_length");
        r.seek(pos);
        Mb2HeaderTag tag;
        tag.offset = pos;
        tag.type = r.u16le();
        tag.flags = r.u16le();
        tag.size = r.u32le();
        if (tag.size < 8)
            r.fail_at(pos + 4, "multiboot2 header tag " + std::to_string(tag.type) + " size " +
                                   std::to_string(tag.size) + " is below 8");
        if (tag.size > end - pos)
            r.fail_at(pos + 4, "multiboot2 header tag " + std::to_string(tag.type) + " size " +
                                   std::to_string(tag.size) + " runs past header_length");
        if (tag.type == mb2_header_tag::end) {
            saw_end = true;
            break;
        }
        binary::ByteView body = r.bytes(tag.size - 8, "tag body");
        tag.data.assign(body.begin(), body.end());
        decode_known_tag(h, tag);
        pos += align8(tag.size);
        h.tags.push_back(std::move(tag));
    }
    if (!saw_end) r.fail_at(offset + 8, "multiboot2 header has no END tag within header_length");
    return h;
}

}  // namespace

std::string multiboot2_header_tag_name(std::uint16_t type) {
    switch (type) {
        case mb2_header_tag::end:
            return "end";
        case mb2_header_tag::information_request:
            return "information_request";
        case mb2_header_tag::address:
            return "address";
        case mb2_header_tag::entry_address:
            return "entry_address";
        case mb2_header_tag::console_flags:
            return "console_flags";
        case mb2_header_tag::framebuffer:
            return "framebuffer";
        case mb2_header_tag::module_align:
            return "module_align";
        case mb2_header_tag::efi_bs:
            return "efi_bs";
        case mb2_header_tag::entry_address_efi32:
            return "entry_address_efi32";
        case mb2_header_tag::entry_address_efi64:
            return "entry_address_efi64";
        case mb2_header_tag::relocatable:
            return "relocatable";
    }
    return "tag " + std::to_string(type);
}

Multiboot2Header parse_multiboot2_header(binary::ByteView image) {
    std::optional<ParseError> first_error;
    std::size_t limit = std::min(image.size(), kMultiboot2Search);
    for (std::size_t off = 0; off + 4 <= limit; off += kTagAlign) {
        std::uint32_t v = std::uint32_t{image[off]} | std::uint32_t{image[off + 1]} << 8 |
                          std::uint32_t{image[off + 2]} << 16 | std::uint32_t{image[off + 3]} << 24;
        if (v != kMultiboot2HeaderMagic) continue;
        try {
            // The whole header must lie in the first 32 KiB (GRUB reads no more).
            return parse_at(image.first(limit), off);
        } catch (const ParseError& e) {
            if (!first_error) first_error = e;
        }
    }
    if (first_error) throw *first_error;
    throw ParseError(0, "no multiboot2 header (magic 0xe85250d6) in the first " +
                            std::to_string(limit) + " bytes");
}

binary::Bytes build_multiboot2_header(std::uint32_t architecture,
                                      const std::vector<Mb2HeaderTag>& tags) {
    binary::Writer body;
    for (const Mb2HeaderTag& t : tags) {
        if (t.data.size() > 0xFFFFFFF0u) throw BuildError("multiboot2 header tag too large");
        body.u16le(t.type);
        body.u16le(t.flags);
        body.u32le(static_cast<std::uint32_t>(8 + t.data.size()));
        body.bytes(t.data);
        body.zeros(align8(body.size()) - body.size());
    }
    body.u16le(mb2_header_tag::end);
    body.u16le(0);
    body.u32le(8);
    std::uint32_t length = static_cast<std::uint32_t>(kFixedHeader + body.size());
    binary::Writer w;
    w.u32le(kMultiboot2HeaderMagic);
    w.u32le(architecture);
    w.u32le(length);
    w.u32le(0u - (kMultiboot2HeaderMagic + architecture + length));
    w.bytes(body.data());
    return w.take();
}

}  // namespace drtm::image
