#include "eventlog/txt_heap_tables.hpp"

#include "binary/error.hpp"
#include "binary/reader.hpp"
#include "eventlog/txt_heap.hpp"
#include "eventlog/txt_structures.hpp"

namespace drtm::eventlog {

namespace {

constexpr std::size_t kShaOneSize = 20;
constexpr std::size_t kMdrSize = 24;

// A reader over a region's body (after its u64 size).
binary::Reader body_of(binary::ByteView input, const TxtHeapRegion& region) {
    return binary::Reader(
        input.subspan(region.offset + 8, static_cast<std::size_t>(region.size - 8)),
        region.offset + 8);
}

binary::Bytes copy(binary::ByteView b) {
    return binary::Bytes(b.begin(), b.end());
}

BiosDataTable decode_bios_data(binary::ByteView input, const TxtHeapRegion& region,
                               std::vector<std::string>& notes) {
    binary::Reader r = body_of(input, region);
    BiosDataTable t;
    t.version = r.u32le();
    t.bios_sinit_size = r.u32le();
    t.lcp_pd_base = r.u64le();
    t.lcp_pd_size = r.u64le();
    t.num_logical_processors = r.u32le();
    if (t.version >= 3 && r.remaining() >= 8) {
        t.sinit_flags = r.u32le();
        t.mle_flags = r.u32le();
    }
    if (t.version >= 4 && !r.at_end()) t.elements = list_heap_elements(r, "BiosData", notes);
    return t;
}

OsSinitDataTable decode_os_sinit_data(binary::ByteView input, const TxtHeapRegion& region) {
    binary::Reader r = body_of(input, region);
    OsSinitDataTable t;
    t.version = r.u32le();
    t.flags = r.u32le();
    t.mle_page_table_base = r.u64le();
    t.mle_size = r.u64le();
    t.mle_header_base = r.u64le();
    t.pmr_low_base = r.u64le();
    t.pmr_low_size = r.u64le();
    t.pmr_high_base = r.u64le();
    t.pmr_high_size = r.u64le();
    t.lcp_po_base = r.u64le();
    t.lcp_po_size = r.u64le();
    t.capabilities = r.u32le();
    if (t.version >= 5) t.efi_rsdp = r.u64le();
    return t;
}

SinitMleDataTable decode_sinit_mle_data(binary::ByteView input, const TxtHeapRegion& region,
                                        std::vector<std::string>& notes) {
    binary::Reader r = body_of(input, region);
    SinitMleDataTable t;
    t.version = r.u32le();
    t.bios_acm_id = copy(r.bytes(kShaOneSize, "BiosAcmId"));
    t.edx_senter_flags = r.u32le();
    t.mseg_valid = r.u64le();
    t.sinit_hash = copy(r.bytes(kShaOneSize, "SinitHash"));
    t.mle_hash = copy(r.bytes(kShaOneSize, "MleHash"));
    t.stm_hash = copy(r.bytes(kShaOneSize, "StmHash"));
    t.lcp_policy_hash = copy(r.bytes(kShaOneSize, "LcpPolicyHash"));
    t.lcp_policy_control = r.u32le();
    t.rlp_wakeup_address = r.u32le();
    r.skip(4, "reserved");
    const std::size_t mdr_fields = r.position();
    t.num_mdrs = r.u32le();
    t.mdrs_offset = r.u32le();
    t.vtd_dmar_size = r.u32le();
    t.vtd_dmar_offset = r.u32le();
    if (t.version >= 8) t.processor_scrtm_status = r.u32le();
    if (t.version >= 9 && !r.at_end()) t.elements = list_heap_elements(r, "SinitMleData", notes);

    // MdrsOffset counts from the table's size field (tboot: data - 8 + off).
    const std::uint64_t table_size = region.size;
    const std::uint64_t mdr_end =
        std::uint64_t{t.mdrs_offset} + std::uint64_t{t.num_mdrs} * kMdrSize;
    if (t.num_mdrs > 0) {
        if (t.mdrs_offset < 8 || mdr_end > table_size)
            r.fail_at(mdr_fields,
                      std::to_string(t.num_mdrs) + " MDRs at offset " +
                          binary::format_offset(t.mdrs_offset) + " do not fit in SinitMleData (" +
                          binary::format_offset(static_cast<std::size_t>(table_size)) + " bytes)");
        binary::Reader m(input.subspan(region.offset + t.mdrs_offset, t.num_mdrs * kMdrSize),
                         region.offset + t.mdrs_offset);
        for (std::uint32_t i = 0; i < t.num_mdrs; ++i) {
            SinitMdr d;
            d.base = m.u64le();
            d.length = m.u64le();
            d.type = m.u8();
            m.skip(7, "MDR reserved");
            t.mdrs.push_back(d);
        }
    }
    return t;
}

}  // namespace

std::string heap_element_name(std::uint32_t type) {
    switch (type) {
        case 0:
            return "END";
        case 1:
            return "BIOS_SPEC_VER";
        case 2:
            return "ACM";
        case 3:
            return "STM";
        case 4:
            return "CUSTOM";
        case 5:
            return "TPM_EVENT_LOG_PTR";
        case 6:
            return "MADT";
        case 7:
            return "EVENT_LOG_POINTER2";
        case 8:
            return "EVENT_LOG_POINTER2_1";
        case 9:
            return "MCFG";
        case 13:
            return "TPR_REQ";
        case 14:
            return "DTPR";
        case 15:
            return "CEDT";
        default:
            return "type " + std::to_string(type);
    }
}

std::string mdr_type_name(std::uint8_t type) {
    switch (type) {
        case 0:
            return "GOOD";
        case 1:
            return "SMRAM OVERLAY";
        case 2:
            return "SMRAM NON-OVERLAY";
        case 3:
            return "PCIE EXTENDED CONFIG";
        case 4:
            return "PROTECTED";
        default:
            return "type " + std::to_string(type);
    }
}

std::vector<std::string> os_sinit_capability_names(std::uint32_t c) {
    static constexpr const char* names[] = {"GETSEC_WAKEUP",
                                            "MONITOR_WAKEUP",
                                            "ECX_PGTBL",
                                            "STM",
                                            "TPM12_NO_LEGACY_PCRS",
                                            "TPM12_DETAILS_AUTHORITIES_PCRS",
                                            nullptr,
                                            nullptr,
                                            "MAXPHYADDR",
                                            "TCG_EVENT_LOG",
                                            "CBNT"};
    std::vector<std::string> out;
    for (unsigned bit = 0; bit < std::size(names); ++bit)
        if (names[bit] && (c >> bit & 1)) out.emplace_back(names[bit]);
    if (const unsigned platform = c >> 6 & 3; platform != 0)
        out.push_back("PLATFORM_TYPE=" + std::to_string(platform));
    return out;
}

TxtHeapTables decode_txt_heap_tables(binary::ByteView input, const TxtHeapInfo& heap) {
    TxtHeapTables t;
    t.bios_data = decode_bios_data(input, heap.bios_data, t.notes);
    t.os_sinit_data = decode_os_sinit_data(input, heap.os_sinit_data);
    // Before SENTER, SinitMleData is only its size field.
    if (heap.sinit_mle_data.size > 8)
        t.sinit_mle_data = decode_sinit_mle_data(input, heap.sinit_mle_data, t.notes);
    else
        t.notes.push_back("SinitMleData is empty: SINIT has not run (no measured launch)");
    return t;
}

namespace {

nlohmann::json elements_json(const std::vector<TxtHeapElement>& elements) {
    auto a = nlohmann::json::array();
    for (const auto& e : elements)
        a.push_back({{"type", e.type}, {"name", heap_element_name(e.type)}, {"size", e.size}});
    return a;
}

}  // namespace

nlohmann::json to_json(const TxtHeapTables& t) {
    nlohmann::json j;
    const auto& b = t.bios_data;
    j["bios_data"] = {{"version", b.version},
                      {"bios_sinit_size", b.bios_sinit_size},
                      {"lcp_pd_base", b.lcp_pd_base},
                      {"lcp_pd_size", b.lcp_pd_size},
                      {"num_logical_processors", b.num_logical_processors},
                      {"elements", elements_json(b.elements)}};
    if (b.sinit_flags) j["bios_data"]["sinit_flags"] = *b.sinit_flags;
    if (b.mle_flags) j["bios_data"]["mle_flags"] = *b.mle_flags;
    const auto& o = t.os_sinit_data;
    j["os_sinit_data"] = {{"version", o.version},
                          {"flags", o.flags},
                          {"mle_page_table_base", o.mle_page_table_base},
                          {"mle_size", o.mle_size},
                          {"mle_header_base", o.mle_header_base},
                          {"pmr_low_base", o.pmr_low_base},
                          {"pmr_low_size", o.pmr_low_size},
                          {"pmr_high_base", o.pmr_high_base},
                          {"pmr_high_size", o.pmr_high_size},
                          {"lcp_po_base", o.lcp_po_base},
                          {"lcp_po_size", o.lcp_po_size},
                          {"capabilities", o.capabilities},
                          {"capability_names", os_sinit_capability_names(o.capabilities)}};
    if (o.efi_rsdp) j["os_sinit_data"]["efi_rsdp"] = *o.efi_rsdp;
    if (t.sinit_mle_data) {
        const auto& s = *t.sinit_mle_data;
        auto mdrs = nlohmann::json::array();
        for (const auto& m : s.mdrs)
            mdrs.push_back({{"base", m.base},
                            {"length", m.length},
                            {"type", m.type},
                            {"type_name", mdr_type_name(m.type)}});
        j["sinit_mle_data"] = {{"version", s.version},
                               {"bios_acm_id", binary::to_hex(s.bios_acm_id)},
                               {"edx_senter_flags", s.edx_senter_flags},
                               {"mseg_valid", s.mseg_valid},
                               {"sinit_hash", binary::to_hex(s.sinit_hash)},
                               {"mle_hash", binary::to_hex(s.mle_hash)},
                               {"stm_hash", binary::to_hex(s.stm_hash)},
                               {"lcp_policy_hash", binary::to_hex(s.lcp_policy_hash)},
                               {"lcp_policy_control", s.lcp_policy_control},
                               {"rlp_wakeup_address", s.rlp_wakeup_address},
                               {"vtd_dmar_size", s.vtd_dmar_size},
                               {"vtd_dmar_offset", s.vtd_dmar_offset},
                               {"mdrs", mdrs},
                               {"elements", elements_json(s.elements)}};
        if (s.processor_scrtm_status)
            j["sinit_mle_data"]["processor_scrtm_status"] = *s.processor_scrtm_status;
    }
    j["notes"] = t.notes;
    return j;
}

}  // namespace drtm::eventlog
