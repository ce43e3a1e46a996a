#include "image/mle_header.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "binary/reader.hpp"

namespace drtm::image {

namespace {

constexpr std::uint32_t kMinHeaderLen = 0x28;  // through mle_end
constexpr std::size_t kCapabilitiesOffset = 0x28;
constexpr std::size_t kCmdlineEndOffset = 0x30;

std::string hex(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

}  // namespace

MleHeader parse_mle_header(ByteView image, std::size_t offset, std::size_t base) {
    binary::Reader r(image, base);
    r.seek(offset);
    ByteView uuid = r.bytes(16, "MLE header UUID");
    if (!std::equal(uuid.begin(), uuid.end(), kMleHeaderUuid.begin()))
        r.fail_at(offset, "no MLE header here: UUID is not 9082ac5a-74a7476f-a2555c0f-42b651cb");
    MleHeader h;
    h.offset = offset;
    h.header_len = r.u32le();
    if (h.header_len < kMinHeaderLen)
        r.fail_at(offset + 0x10, "MLE header_len " + hex(h.header_len) + " is below 0x28");
    if (h.header_len > image.size() - offset)
        r.fail_at(offset + 0x10, "MLE header_len " + hex(h.header_len) + " runs past the image");
    h.version = r.u32le();
    h.entry_point = r.u32le();
    h.first_valid_page = r.u32le();
    h.mle_start = r.u32le();
    h.mle_end = r.u32le();
    if (h.header_len >= kCapabilitiesOffset + 4) h.capabilities = r.u32le();
    if (h.header_len >= kCmdlineEndOffset + 4) {
        h.cmdline_start = r.u32le();
        h.cmdline_end = r.u32le();
    }
    if (h.mle_start > h.mle_end)
        r.fail_at(offset + 0x20,
                  "MLE mle_start " + hex(h.mle_start) + " is after mle_end " + hex(h.mle_end));
    if (h.entry_point >= h.mle_end)
        r.fail_at(offset + 0x18, "MLE entry_point " + hex(h.entry_point) +
                                     " is not below mle_end " + hex(h.mle_end));
    return h;
}

std::optional<MleHeader> scan_for_mle_header(ByteView image, std::size_t limit, std::size_t base) {
    for (std::size_t off = 0; off < limit && off + kMleHeaderUuid.size() <= image.size();
         off += 16) {
        if (std::equal(kMleHeaderUuid.begin(), kMleHeaderUuid.end(), image.begin() + off))
            return parse_mle_header(image, off, base);
    }
    return std::nullopt;
}

}  // namespace drtm::image
