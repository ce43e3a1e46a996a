#include "eventlog/txt_heap.hpp"

#include <cstring>
#include <vector>

#include "binary/error.hpp"
#include "binary/reader.hpp"
#include "eventlog/spec_id.hpp"

namespace drtm::eventlog {

namespace {

// OsSinitData field offsets (SDG Table 29; formats.md §3.4).
constexpr std::size_t os_sinit_capabilities_at = 80;
constexpr std::size_t os_sinit_elements_at = 92;  // version >= 6
constexpr std::uint32_t os_sinit_first_version_with_elements = 6;

std::string hex(std::uint64_t v) {
    return binary::format_offset(static_cast<std::size_t>(v));
}

// Reads one region's u64 size and returns a reader over its body.
binary::Reader region(binary::Reader& r, const char* name, TxtHeapRegion& out) {
    const std::size_t pos = r.position();
    out.offset = r.offset();
    out.size = r.u64le();
    if (out.size < 8)
        r.fail_at(pos, std::string(name) + "Size " + std::to_string(out.size) +
                           " is below 8 (the size includes its own 8 bytes)");
    if (out.size - 8 > r.remaining())
        r.fail_at(pos, std::string(name) + "Size " + hex(out.size) +
                           " runs past the end of the heap (" + hex(r.remaining() + 8) +
                           " bytes left)");
    return r.sub(static_cast<std::size_t>(out.size - 8), name);
}

void walk_elements(binary::Reader& r, TxtHeapInfo& info, std::vector<std::string>& notes) {
    const std::size_t origin = r.offset_of(0);
    info.os_sinit_elements = list_heap_elements(r, "OsSinitData", notes);
    for (const TxtHeapElement& e : info.os_sinit_elements) {
        binary::Reader body(r.data().subspan(e.offset - origin + 8, e.size - 8), e.offset + 8);
        switch (e.type) {
            case heap_element::event_log_pointer2_1:
                if (info.log_pointer)
                    body.fail_at(
                        0, "second EVENT_LOG_POINTER2_1 element (CBnT SINIT requires exactly one)");
                info.log_pointer_offset = body.offset();
                info.log_pointer = parse_txt_log_pointer(body);
                break;
            case heap_element::event_log_pointer2: {
                auto d = parse_legacy_log_descriptors(body);
                info.legacy_logs.insert(info.legacy_logs.end(), d.begin(), d.end());
                break;
            }
            default:
                break;  // the SDG says to skip what we do not understand
        }
    }
}

}  // namespace

bool spec_id_event03_at(binary::ByteView area, std::size_t first_record_offset) {
    // The signature sits after the 32-byte TCG_PCR_EVENT header, NUL-terminated.
    constexpr std::size_t header = 0x20;
    const std::size_t n = spec_id_event03_signature.size();
    if (first_record_offset > area.size() || area.size() - first_record_offset < header + n + 1)
        return false;
    const auto* sig = area.data() + first_record_offset + header;
    return std::memcmp(sig, spec_id_event03_signature.data(), n) == 0 && sig[n] == 0;
}

std::vector<TxtHeapElement> list_heap_elements(binary::Reader& r, const char* table,
                                               std::vector<std::string>& notes) {
    std::vector<TxtHeapElement> out;
    while (!r.at_end()) {
        const std::size_t pos = r.position();
        TxtHeapElement e;
        e.offset = r.offset();
        e.type = r.u32le();
        e.size = r.u32le();
        if (e.size < 8)
            r.fail_at(pos + 4, "extended element size " + std::to_string(e.size) +
                                   " is below 8 (it includes the 8-byte header)");
        if (e.size - 8 > r.remaining())
            r.fail_at(pos + 4, "extended element of type " + std::to_string(e.type) + " and size " +
                                   std::to_string(e.size) + " runs past " + table);
        r.skip(e.size - 8, "extended element");
        out.push_back(e);
        if (e.type == heap_element::end) return out;
    }
    notes.push_back(std::string(table) + " extended elements end without a HEAP_END_ELEMENT");
    return out;
}

bool looks_like_txt_heap(binary::ByteView heap) {
    std::size_t pos = 0;
    std::uint64_t sizes[4];
    for (auto& s : sizes) {
        if (heap.size() - pos < 8) return false;
        s = 0;
        for (int i = 7; i >= 0; --i) s = s << 8 | heap[pos + i];
        if (s < 12 || s > heap.size() - pos) return false;  // 12: size + a u32 version
        pos += static_cast<std::size_t>(s);
    }
    auto version_at = [&](std::size_t off) {
        return static_cast<std::uint32_t>(heap[off] | heap[off + 1] << 8 | heap[off + 2] << 16 |
                                          static_cast<std::uint32_t>(heap[off + 3]) << 24);
    };
    const std::uint32_t bios_version = version_at(8);
    const std::size_t os_sinit = static_cast<std::size_t>(sizes[0] + sizes[1]);
    const std::uint32_t os_sinit_version = version_at(os_sinit + 8);
    return bios_version >= 1 && bios_version <= 16 && os_sinit_version >= 1 &&
           os_sinit_version <= 16;
}

bool looks_like_txt_heap_image(binary::ByteView input) {
    if (input.size() < 16) return false;
    std::uint64_t base = 0;
    for (int i = 7; i >= 0; --i) base = base << 8 | input[i];
    if (base < 16 || base >= input.size()) return false;
    return looks_like_txt_heap(input.subspan(static_cast<std::size_t>(base)));
}

TxtHeapInfo parse_txt_heap(binary::ByteView input, std::size_t heap_offset, std::uint64_t heap_size,
                           std::optional<std::uint64_t> physical_base) {
    TxtHeapInfo info;
    if (heap_offset > input.size())
        throw binary::ParseError(heap_offset, "TXT heap starts past the end of the input");
    const std::size_t available = input.size() - heap_offset;
    if (heap_size > available) {
        info.notes.push_back("TXT heap size " + hex(heap_size) + " exceeds the " + hex(available) +
                             " bytes present; walking what is there");
        heap_size = available;
    }
    info.heap_offset = heap_offset;
    info.heap_size = heap_size;
    info.physical_base = physical_base;

    binary::Reader r(input.subspan(heap_offset, static_cast<std::size_t>(heap_size)), heap_offset);
    binary::Reader bios = region(r, "BiosData", info.bios_data);
    if (bios.remaining() >= 4) info.bios_data_version = bios.u32le();
    region(r, "OsMleData", info.os_mle_data);
    binary::Reader os_sinit = region(r, "OsSinitData", info.os_sinit_data);
    binary::Reader sinit_mle = region(r, "SinitMleData", info.sinit_mle_data);
    if (sinit_mle.remaining() >= 4) info.sinit_mle_data_version = sinit_mle.u32le();

    info.os_sinit_data_version = os_sinit.u32le();
    if (os_sinit.size() >= os_sinit_capabilities_at + 4) {
        os_sinit.seek(os_sinit_capabilities_at);
        info.os_sinit_capabilities = os_sinit.u32le();
    }
    if (info.os_sinit_data_version < os_sinit_first_version_with_elements) {
        info.notes.push_back("OsSinitData version " + std::to_string(info.os_sinit_data_version) +
                             " has no extended data elements");
        return info;
    }
    if (os_sinit.size() < os_sinit_elements_at)
        os_sinit.fail_at(0, "OsSinitData version " + std::to_string(info.os_sinit_data_version) +
                                " is " + std::to_string(os_sinit.size()) +
                                " bytes, too short to reach its extended elements at " +
                                std::to_string(os_sinit_elements_at));
    os_sinit.seek(os_sinit_elements_at);
    walk_elements(os_sinit, info, info.notes);
    return info;
}

TxtHeapInfo parse_txt_heap_image(binary::ByteView input) {
    binary::Reader r(input);
    const std::uint64_t base = r.u64le();
    const std::uint64_t size = r.u64le();
    if (base < 16 || base > input.size())
        throw binary::ParseError(0, "heap image: heap base " + hex(base) +
                                        " is not an offset inside the image (" + hex(input.size()) +
                                        " bytes)");
    return parse_txt_heap(input, static_cast<std::size_t>(base), size, base);
}

HeapLogLocation locate_heap_log(binary::ByteView input, const TxtHeapInfo& heap, bool is_image) {
    if (!heap.log_pointer)
        throw binary::ParseError(heap.os_sinit_data.offset,
                                 "OsSinitData has no EVENT_LOG_POINTER2_1 element");
    const TxtLogPointer& p = *heap.log_pointer;
    std::vector<HeapLogLocation> candidates;
    if (heap.physical_base && p.physical_address >= *heap.physical_base &&
        p.physical_address - *heap.physical_base < heap.heap_size)
        candidates.push_back(
            {heap.heap_offset + static_cast<std::size_t>(p.physical_address - *heap.physical_base),
             "PhysicalAddress - TXT.HEAP.BASE, inside the heap"});
    if (is_image && p.physical_address < input.size())
        candidates.push_back({static_cast<std::size_t>(p.physical_address),
                              "PhysicalAddress as an offset into the memory image"});
    if (p.physical_address < heap.heap_size)
        candidates.push_back({heap.heap_offset + static_cast<std::size_t>(p.physical_address),
                              "PhysicalAddress relative to the heap copy"});

    for (const HeapLogLocation& c : candidates)
        if (c.offset <= input.size() &&
            spec_id_event03_at(input.subspan(c.offset), p.first_record_offset))
            return c;
    throw binary::ParseError(heap.log_pointer_offset,
                             "EVENT_LOG_POINTER2_1 PhysicalAddress " + hex(p.physical_address) +
                                 " does not lead to a Spec ID Event03 log in this input (" +
                                 std::to_string(candidates.size()) +
                                 " placements tried); pass the memory that holds the log");
}

}  // namespace drtm::eventlog
