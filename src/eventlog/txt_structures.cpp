#include "eventlog/txt_structures.hpp"

#include <cstring>

namespace drtm::eventlog {

TxtLogPointer parse_txt_log_pointer(binary::Reader& r) {
    TxtLogPointer p;
    p.physical_address = r.u64le();
    p.allocated_size = r.u32le();
    p.first_record_offset = r.u32le();
    p.next_record_offset = r.u32le();
    return p;
}

void encode_txt_log_pointer(binary::Writer& w, const TxtLogPointer& p) {
    w.u64le(p.physical_address);
    w.u32le(p.allocated_size);
    w.u32le(p.first_record_offset);
    w.u32le(p.next_record_offset);
}

binary::Bytes encode_txt_log_pointer(const TxtLogPointer& p) {
    binary::Writer w(txt_log_pointer_size);
    encode_txt_log_pointer(w, p);
    return w.take();
}

binary::Bytes encode_log_pointer_element(const TxtLogPointer& p) {
    binary::Writer w(8 + txt_log_pointer_size);
    w.u32le(heap_element::event_log_pointer2_1);
    w.u32le(8 + txt_log_pointer_size);
    encode_txt_log_pointer(w, p);
    return w.take();
}

bool has_txt_container_signature(binary::ByteView bytes) {
    return bytes.size() >= 20 &&
           std::memcmp(bytes.data(), txt_container_signature.data(),
                       txt_container_signature.size()) == 0 &&
           bytes[txt_container_signature.size()] == 0;
}

TxtContainerHeader parse_txt_container_header(binary::Reader& r) {
    std::size_t start = r.position();
    if (!has_txt_container_signature(r.peek(20, "TXT Event Container signature")))
        r.fail("wrong signature: expected \"TXT Event Container\"");
    r.skip(32, "TXT Event Container signature and reserved bytes");
    TxtContainerHeader h;
    h.container_version_major = r.u8();
    h.container_version_minor = r.u8();
    h.event_version_major = r.u8();
    h.event_version_minor = r.u8();
    h.container_size = r.u32le();
    h.pcr_events_offset = r.u32le();
    h.next_event_offset = r.u32le();
    if (h.pcr_events_offset < txt_container_header_size)
        r.fail_at(start + 0x28, "pcr_events_offset " + std::to_string(h.pcr_events_offset) +
                                    " points into the 48-byte container header");
    if (h.next_event_offset < h.pcr_events_offset)
        r.fail_at(start + txt_container_next_field,
                  "next_event_offset " + std::to_string(h.next_event_offset) +
                      " is before pcr_events_offset " + std::to_string(h.pcr_events_offset));
    return h;
}

void encode_txt_container_header(binary::Writer& w, const TxtContainerHeader& h) {
    w.fixed_string(txt_container_signature, 20);
    w.zeros(12);
    w.u8(h.container_version_major);
    w.u8(h.container_version_minor);
    w.u8(h.event_version_major);
    w.u8(h.event_version_minor);
    w.u32le(h.container_size);
    w.u32le(h.pcr_events_offset);
    w.u32le(h.next_event_offset);
}

std::vector<LegacyLogDescriptor> parse_legacy_log_descriptors(binary::Reader& r) {
    std::size_t count_pos = r.position();
    std::uint32_t count = r.u32le();
    if (count > r.remaining() / 24)
        r.fail_at(count_pos, "legacy log descriptor count " + std::to_string(count) +
                                 " does not fit in the element");
    std::vector<LegacyLogDescriptor> out;
    out.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        LegacyLogDescriptor d;
        d.alg_id = r.u16le();
        r.skip(2, "reserved");
        d.physical_address = r.u64le();
        d.size = r.u32le();
        d.pcr_events_offset = r.u32le();
        d.next_event_offset = r.u32le();
        out.push_back(d);
    }
    return out;
}

}  // namespace drtm::eventlog
