#include "slrt/entry_codec.hpp"

#include <string>

#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "slrt/errors.hpp"

namespace drtm::slrt {

using binary::Reader;
using binary::Writer;

namespace {

void write_header(Writer& w, const Entry& entry) {
    w.u32le(entry_tag(entry));
    w.u32le(entry_size(entry));
}

void write_event_info(Writer& w, const EventInfo& info) {
    w.bytes(info);
}

EventInfo read_event_info(Reader& r) {
    EventInfo info{};
    ByteView raw = r.bytes(kEventInfoLength, "evt_info");
    std::copy(raw.begin(), raw.end(), info.begin());
    return info;
}

struct Encoder {
    Writer& w;

    void operator()(const DlInfo& d) const {
        w.u64le(d.dce_size);
        w.u64le(d.dce_base);
        w.u64le(d.dlme_size);
        w.u64le(d.dlme_base);
        w.u64le(d.dlme_entry);
        w.u16le(d.bl_context.bootloader);
        for (auto v : d.bl_context.reserved) w.u16le(v);
        w.u64le(d.bl_context.context);
        w.u64le(d.dl_handler);
    }
    void operator()(const LogInfo& l) const {
        w.u16le(l.format);
        w.u16le(l.reserved);
        w.u32le(l.size);
        w.u64le(l.addr);
    }
    void operator()(const Policy& p) const {
        if (p.entries.size() > 0xFFFF) throw BuildError("ENTRY_POLICY: more than 65535 entries");
        for (auto v : p.reserved) w.u16le(v);
        w.u16le(p.revision);
        w.u16le(static_cast<std::uint16_t>(p.entries.size()));
        for (const PolicyEntry& e : p.entries) {
            w.u16le(e.pcr);
            w.u16le(e.entity_type);
            w.u16le(e.flags);
            w.u16le(e.reserved);
            w.u64le(e.size);
            w.u64le(e.entity);
            write_event_info(w, e.evt_info);
        }
    }
    void operator()(const IntelInfo& i) const {
        if (i.layout == IntelInfoLayout::with_boot_params) {
            w.u64le(i.boot_params_addr);
        } else if (i.boot_params_addr != 0) {
            throw BuildError("INTEL_INFO: variant B (spec layout) has no boot_params_addr field");
        }
        w.u64le(i.txt_heap);
        w.u64le(i.saved_misc_enable_msr);
        w.u64le(i.saved_bsp_mtrrs.default_mem_type);
        w.u64le(i.saved_bsp_mtrrs.mtrr_vcnt);
        for (const MtrrPair& p : i.saved_bsp_mtrrs.pairs) {
            w.u64le(p.physbase);
            w.u64le(p.physmask);
        }
    }
    void operator()(const AmdInfo& a) const {
        if (a.layout == AmdInfoLayout::header_only) return;
        w.u64le(a.next);
        w.u32le(a.type);
        w.u32le(a.len);
        w.u64le(a.slrt_size);
        w.u64le(a.slrt_base);
        w.u64le(a.boot_params_base);
        w.u16le(a.psp_version);
        for (auto v : a.reserved) w.u16le(v);
    }
    void operator()(const UefiConfig& u) const {
        if (u.entries.size() > 0xFFFF) throw BuildError("UEFI_CONFIG: more than 65535 entries");
        for (auto v : u.reserved) w.u16le(v);
        w.u16le(u.revision);
        w.u16le(static_cast<std::uint16_t>(u.entries.size()));
        for (const UefiConfigEntry& e : u.entries) {
            w.u16le(e.pcr);
            w.u16le(e.reserved);
            w.u32le(e.size);
            w.u64le(e.cfg);
            write_event_info(w, e.evt_info);
        }
    }
    void operator()(const OpaqueEntry& o) const {
        if (o.tag == static_cast<std::uint32_t>(Tag::end) ||
            o.tag == static_cast<std::uint32_t>(Tag::invalid))
            throw BuildError("cannot add an entry tagged " + tag_name(o.tag));
        w.bytes(o.payload);
    }
};

// Every decoder gets a reader positioned after the 8-byte header and must
// consume the entry exactly; the caller has already checked the entry size.
void expect_size(const Reader& r, std::uint32_t size, std::uint32_t expected, const char* what) {
    if (size != expected)
        r.fail_at(0, std::string(what) + " size is " + std::to_string(size) + ", expected " +
                         std::to_string(expected) + " (current layout)");
}

DlInfo decode_dl_info(Reader& r) {
    DlInfo d;
    d.dce_size = r.u64le();
    d.dce_base = r.u64le();
    d.dlme_size = r.u64le();
    d.dlme_base = r.u64le();
    d.dlme_entry = r.u64le();
    d.bl_context.bootloader = r.u16le();
    for (auto& v : d.bl_context.reserved) v = r.u16le();
    d.bl_context.context = r.u64le();
    d.dl_handler = r.u64le();
    return d;
}

LogInfo decode_log_info(Reader& r) {
    LogInfo l;
    l.format = r.u16le();
    l.reserved = r.u16le();
    l.size = r.u32le();
    l.addr = r.u64le();
    return l;
}

// Policy and UEFI config share a header shape: u16 reserved[2], u16 revision,
// u16 count; the entry size must then be exactly header + count × record size.
struct ListHeader {
    std::array<std::uint16_t, 2> reserved{};
    std::uint16_t revision = 0;
    std::uint16_t count = 0;
};

ListHeader decode_list_header(Reader& r, std::uint32_t entry_size, std::uint32_t record_size,
                              std::uint16_t expected_revision, const char* what) {
    if (entry_size < 16)
        r.fail_at(0, std::string(what) + " size is " + std::to_string(entry_size) +
                         ", below its 16-byte header");
    ListHeader h;
    for (auto& v : h.reserved) v = r.u16le();
    std::size_t revision_pos = r.position();
    h.revision = r.u16le();
    std::size_t count_pos = r.position();
    h.count = r.u16le();
    if (h.revision != expected_revision)
        r.fail_at(revision_pos, std::string(what) + " revision is " + std::to_string(h.revision) +
                                    ", expected " + std::to_string(expected_revision));
    std::uint64_t expected = 16 + std::uint64_t{record_size} * h.count;
    if (expected != entry_size)
        r.fail_at(count_pos, std::string(what) + " count " + std::to_string(h.count) + " needs " +
                                 std::to_string(expected) + " bytes but the entry size is " +
                                 std::to_string(entry_size));
    return h;
}

Policy decode_policy(Reader& r, std::uint32_t size) {
    ListHeader h = decode_list_header(r, size, PolicyEntry::kSize, kPolicyRevision, "ENTRY_POLICY");
    Policy p;
    p.reserved = h.reserved;
    p.revision = h.revision;
    p.entries.reserve(h.count);
    for (std::uint16_t i = 0; i < h.count; ++i) {
        PolicyEntry e;
        e.pcr = r.u16le();
        e.entity_type = r.u16le();
        e.flags = r.u16le();
        e.reserved = r.u16le();
        e.size = r.u64le();
        e.entity = r.u64le();
        e.evt_info = read_event_info(r);
        p.entries.push_back(e);
    }
    return p;
}

IntelInfo decode_intel_info(Reader& r, std::uint32_t size, const ParseOptions& options) {
    IntelInfo info;
    if (options.intel_info_layout) {
        info.layout = *options.intel_info_layout;
        expect_size(r, size, intel_info_size(info.layout), "INTEL_INFO");
    } else if (size == intel_info_size(IntelInfoLayout::with_boot_params)) {
        info.layout = IntelInfoLayout::with_boot_params;
    } else if (size == intel_info_size(IntelInfoLayout::spec)) {
        info.layout = IntelInfoLayout::spec;
    } else {
        r.fail_at(0, "INTEL_INFO size is " + std::to_string(size) +
                         ", expected 560 (variant A) or 552 (variant B)");
    }
    if (info.layout == IntelInfoLayout::with_boot_params) info.boot_params_addr = r.u64le();
    info.txt_heap = r.u64le();
    info.saved_misc_enable_msr = r.u64le();
    info.saved_bsp_mtrrs.default_mem_type = r.u64le();
    info.saved_bsp_mtrrs.mtrr_vcnt = r.u64le();
    for (MtrrPair& p : info.saved_bsp_mtrrs.pairs) {
        p.physbase = r.u64le();
        p.physmask = r.u64le();
    }
    return info;
}

AmdInfo decode_amd_info(Reader& r, std::uint32_t size) {
    AmdInfo a;
    if (size == amd_info_size(AmdInfoLayout::header_only)) {
        // Only the header exists; the other fields keep their defaults so a
        // parsed entry compares equal to a freshly built header-only one.
        a.layout = AmdInfoLayout::header_only;
        return a;
    }
    if (size != amd_info_size(AmdInfoLayout::setup_data))
        r.fail_at(0, "AMD_INFO size is " + std::to_string(size) +
                         ", expected 56 (setup_data form) or 8 (header only)");
    a.layout = AmdInfoLayout::setup_data;
    a.next = r.u64le();
    a.type = r.u32le();
    a.len = r.u32le();
    a.slrt_size = r.u64le();
    a.slrt_base = r.u64le();
    a.boot_params_base = r.u64le();
    a.psp_version = r.u16le();
    for (auto& v : a.reserved) v = r.u16le();
    return a;
}

UefiConfig decode_uefi_config(Reader& r, std::uint32_t size) {
    ListHeader h =
        decode_list_header(r, size, UefiConfigEntry::kSize, kUefiConfigRevision, "UEFI_CONFIG");
    UefiConfig u;
    u.reserved = h.reserved;
    u.revision = h.revision;
    u.entries.reserve(h.count);
    for (std::uint16_t i = 0; i < h.count; ++i) {
        UefiConfigEntry e;
        e.pcr = r.u16le();
        e.reserved = r.u16le();
        e.size = r.u32le();
        e.cfg = r.u64le();
        e.evt_info = read_event_info(r);
        u.entries.push_back(e);
    }
    return u;
}

}  // namespace

Bytes encode_entry(const Entry& entry) {
    Writer w(entry_size(entry));
    write_header(w, entry);
    std::visit(Encoder{w}, entry);
    return w.take();
}

Entry decode_entry(ByteView bytes, std::size_t base, const ParseOptions& options) {
    Reader r(bytes, base);
    std::uint32_t tag = r.u32le();
    std::uint32_t size = r.u32le();
    if (size != bytes.size())
        r.fail_at(4, "entry size field is " + std::to_string(size) + " but " +
                         std::to_string(bytes.size()) + " bytes were given");
    Entry entry;
    switch (static_cast<Tag>(tag)) {
        case Tag::invalid:
            r.fail_at(0, "entry tag is INVALID (0)");
        case Tag::end:
            r.fail_at(0, "END is not a data entry");
        case Tag::dl_info:
            expect_size(r, size, DlInfo::kSize, "DL_INFO");
            entry = decode_dl_info(r);
            break;
        case Tag::log_info:
            expect_size(r, size, LogInfo::kSize, "LOG_INFO");
            entry = decode_log_info(r);
            break;
        case Tag::entry_policy:
            entry = decode_policy(r, size);
            break;
        case Tag::intel_info:
            entry = decode_intel_info(r, size, options);
            break;
        case Tag::amd_info:
            entry = decode_amd_info(r, size);
            break;
        case Tag::uefi_config:
            entry = decode_uefi_config(r, size);
            break;
        case Tag::arm_info:
        case Tag::uefi_info:
        default: {
            ByteView rest = r.bytes(r.remaining(), "entry payload");
            entry = OpaqueEntry{tag, Bytes(rest.begin(), rest.end())};
            break;
        }
    }
    if (!r.at_end()) r.fail("entry has " + std::to_string(r.remaining()) + " unexpected bytes");
    return entry;
}

}  // namespace drtm::slrt
