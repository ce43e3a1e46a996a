#include "slrt/json.hpp"

#include <cstdio>

#include "binary/bytes.hpp"

namespace drtm::slrt {

using nlohmann::json;

namespace {

std::string hex(std::uint64_t v) {
    return binary::hex_number(v);
}

json mtrrs_json(const MtrrState& m) {
    json pairs = json::array();
    // Only the pairs in use (mtrr_vcnt) are interesting; the rest are zero.
    for (std::size_t i = 0; i < m.pairs.size() && i < m.mtrr_vcnt; ++i)
        pairs.push_back(
            {{"physbase", hex(m.pairs[i].physbase)}, {"physmask", hex(m.pairs[i].physmask)}});
    return {{"default_mem_type", hex(m.default_mem_type)},
            {"mtrr_vcnt", m.mtrr_vcnt},
            {"pairs", pairs}};
}

struct Describe {
    json operator()(const DlInfo& d) const {
        return {{"dce_size", hex(d.dce_size)},
                {"dce_base", hex(d.dce_base)},
                {"dlme_size", hex(d.dlme_size)},
                {"dlme_base", hex(d.dlme_base)},
                {"dlme_entry", hex(d.dlme_entry)},
                {"bl_context",
                 {{"bootloader", bootloader_name(d.bl_context.bootloader)},
                  {"context", hex(d.bl_context.context)}}},
                {"dl_handler", hex(d.dl_handler)}};
    }
    json operator()(const LogInfo& l) const {
        return {{"format", log_format_name(l.format)},
                {"format_id", l.format},
                {"size", hex(l.size)},
                {"addr", hex(l.addr)}};
    }
    json operator()(const Policy& p) const {
        json entries = json::array();
        for (std::size_t i = 0; i < p.entries.size(); ++i) {
            const PolicyEntry& e = p.entries[i];
            entries.push_back({{"slot", i},
                               {"pcr", e.pcr},
                               {"entity_type", entity_type_name(e.entity_type)},
                               {"entity_type_id", e.entity_type},
                               {"flags", policy_flags_name(e.flags)},
                               {"size", hex(e.size)},
                               {"entity", hex(e.entity)},
                               {"evt_info", e.label()}});
        }
        return {{"revision", p.revision}, {"nr_entries", p.entries.size()}, {"entries", entries}};
    }
    json operator()(const IntelInfo& i) const {
        json j = {{"layout", i.layout == IntelInfoLayout::with_boot_params ? "A" : "B"},
                  {"txt_heap", hex(i.txt_heap)},
                  {"saved_misc_enable_msr", hex(i.saved_misc_enable_msr)},
                  {"saved_bsp_mtrrs", mtrrs_json(i.saved_bsp_mtrrs)}};
        if (i.layout == IntelInfoLayout::with_boot_params)
            j["boot_params_addr"] = hex(i.boot_params_addr);
        return j;
    }
    json operator()(const AmdInfo& a) const {
        if (a.layout == AmdInfoLayout::header_only) return {{"layout", "header_only"}};
        return {{"layout", "setup_data"},
                {"next", hex(a.next)},
                {"type", a.type},
                {"len", a.len},
                {"slrt_size", hex(a.slrt_size)},
                {"slrt_base", hex(a.slrt_base)},
                {"boot_params_base", hex(a.boot_params_base)},
                {"psp_version", a.psp_version}};
    }
    json operator()(const UefiConfig& u) const {
        json entries = json::array();
        for (const UefiConfigEntry& e : u.entries)
            entries.push_back({{"pcr", e.pcr},
                               {"size", hex(e.size)},
                               {"cfg", hex(e.cfg)},
                               {"evt_info", e.label()}});
        return {{"revision", u.revision}, {"nr_entries", u.entries.size()}, {"entries", entries}};
    }
    json operator()(const OpaqueEntry& o) const { return {{"payload", binary::to_hex(o.payload)}}; }
};

}  // namespace

json to_json(const Entry& entry) {
    std::uint32_t tag = entry_tag(entry);
    return {{"tag", tag_name(tag)},
            {"tag_id", tag},
            {"size", entry_size(entry)},
            {"fields", std::visit(Describe{}, entry)}};
}

json to_json(const Table& table) {
    json entries = json::array();
    std::uint32_t offset = kTableHeaderSize;
    for (std::size_t i = 0; i < table.entries.size(); ++i) {
        json e = to_json(table.entries[i]);
        e["index"] = i;
        e["offset"] = hex(offset);
        offset += entry_size(table.entries[i]);
        entries.push_back(std::move(e));
    }
    std::uint16_t arch = static_cast<std::uint16_t>(table.architecture);
    return {{"magic", hex(kTableMagic)},
            {"revision", kTableRevision},
            {"architecture", architecture_name(arch)},
            {"architecture_id", arch},
            {"size", table.size()},
            {"max_size", table.max_size},
            {"end_entry", table.end_entry},
            {"entries", entries}};
}

json to_json(const OsMleData& d) {
    const char* layout = d.layout == OsMleLayout::spec          ? "spec"
                         : d.layout == OsMleLayout::kernel_2025 ? "kernel_2025"
                                                                : "aem";
    json j = {{"layout", layout},
              {"size", os_mle_size(d.layout)},
              {"version", d.version},
              {"slrt", hex(d.slrt)},
              {"txt_info", hex(d.txt_info)},
              {"ap_wake_block", hex(d.ap_wake_block)},
              {"ap_wake_block_size", hex(d.ap_wake_block_size)}};
    if (d.layout != OsMleLayout::kernel_2025) j["boot_params_addr"] = hex(d.boot_params_addr);
    return j;
}

}  // namespace drtm::slrt
