#include "eventlog/json.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"
#include "eventlog/event_text.hpp"
#include "eventlog/event_types.hpp"

namespace drtm::eventlog {

namespace {

using nlohmann::json;

std::string alg_key(std::uint16_t id) {
    if (auto a = crypto::alg_from_id(id)) return std::string(crypto::alg_name(*a));
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%04x", id);
    return buf;
}

json spec_id_json(const SpecIdEvent& s) {
    json algs = json::array();
    for (const AlgorithmSize& a : s.algorithms)
        algs.push_back(
            {{"alg", alg_key(a.alg_id)}, {"id", a.alg_id}, {"digest_size", a.digest_size}});
    return {
        {"signature", "Spec ID Event03"},
        {"platform_class", s.platform_class},
        {"spec_version", std::to_string(s.version_major) + "." + std::to_string(s.version_minor)},
        {"errata", s.errata},
        {"uintn_size", s.uintn_size},
        {"algorithms", algs},
        {"vendor_info", binary::to_hex(s.vendor_info)}};
}

json spec_id00_json(const SpecIdEvent00& s) {
    return {
        {"signature", "Spec ID Event00"},
        {"platform_class", s.platform_class},
        {"spec_version", std::to_string(s.version_major) + "." + std::to_string(s.version_minor)},
        {"errata", s.errata},
        {"vendor_info", binary::to_hex(s.vendor_info)}};
}

json pointer_json(const TxtLogPointer& p) {
    return {{"physical_address", p.physical_address},
            {"allocated_size", p.allocated_size},
            {"first_record_offset", p.first_record_offset},
            {"next_record_offset", p.next_record_offset}};
}

json container_json(const TxtContainerInfo& c) {
    return {{"offset", c.offset},
            {"container_size", c.header.container_size},
            {"pcr_events_offset", c.header.pcr_events_offset},
            {"next_event_offset", c.header.next_event_offset}};
}

json region_json(const TxtHeapRegion& r) {
    return {{"offset", r.offset}, {"size", r.size}};
}

json heap_json(const TxtHeapInfo& h) {
    json elements = json::array();
    for (const TxtHeapElement& e : h.os_sinit_elements)
        elements.push_back({{"type", e.type}, {"size", e.size}, {"offset", e.offset}});
    json legacy = json::array();
    for (const LegacyLogDescriptor& d : h.legacy_logs)
        legacy.push_back({{"alg", alg_key(d.alg_id)},
                          {"physical_address", d.physical_address},
                          {"size", d.size},
                          {"pcr_events_offset", d.pcr_events_offset},
                          {"next_event_offset", d.next_event_offset}});
    json j = {{"heap_offset", h.heap_offset},
              {"heap_size", h.heap_size},
              {"bios_data", region_json(h.bios_data)},
              {"os_mle_data", region_json(h.os_mle_data)},
              {"os_sinit_data", region_json(h.os_sinit_data)},
              {"sinit_mle_data", region_json(h.sinit_mle_data)},
              {"bios_data_version", h.bios_data_version},
              {"os_sinit_data_version", h.os_sinit_data_version},
              {"os_sinit_capabilities", h.os_sinit_capabilities},
              {"sinit_mle_data_version", h.sinit_mle_data_version},
              {"os_sinit_elements", elements},
              {"legacy_logs", legacy}};
    if (h.physical_base) j["physical_base"] = *h.physical_base;
    if (h.log_pointer) j["log_pointer"] = pointer_json(*h.log_pointer);
    return j;
}

std::string pcr_key(std::uint32_t pcr) {
    return std::to_string(pcr);
}

json ref_list(const std::vector<PcrRef>& refs) {
    json out = json::array();
    for (const PcrRef& r : refs)
        out.push_back({{"bank", crypto::alg_name(r.bank)}, {"pcr", r.pcr}});
    return out;
}

}  // namespace

json to_json(const EventView& e) {
    json digests = json::object();
    for (const DigestView& d : e.digests) digests[alg_key(d.alg_id)] = binary::to_hex(d.bytes);
    json j = {{"index", e.index},   {"offset", e.offset},
              {"size", e.size},     {"pcr", e.pcr},
              {"type", e.type},     {"type_name", event_type_name(e.type)},
              {"digests", digests}, {"data", binary::to_hex(e.data)}};
    if (auto text = printable_text(e.data)) j["text"] = *text;
    return j;
}

json to_json(const EventLog& log) {
    json events = json::array();
    for (const EventView& e : log.events()) events.push_back(to_json(e));
    json algs = json::array();
    for (const AlgorithmSize& a : log.algorithms()) algs.push_back(alg_key(a.alg_id));
    json j = {{"format", format_name(log.format())},
              {"log_offset", log.log_offset()},
              {"end_offset", log.end_offset()},
              {"end_reason", end_reason_name(log.end_reason())},
              {"algorithms", algs},
              {"event_count", log.size()},
              {"notes", log.notes()},
              {"events", events}};
    if (log.spec_id()) j["spec_id"] = spec_id_json(*log.spec_id());
    if (log.spec_id00()) j["spec_id"] = spec_id00_json(*log.spec_id00());
    if (log.txt_log_pointer()) j["txt_log_pointer"] = pointer_json(*log.txt_log_pointer());
    if (log.txt_container()) j["txt_container"] = container_json(*log.txt_container());
    if (log.txt_heap()) j["txt_heap"] = heap_json(*log.txt_heap());
    return j;
}

json to_json(const ReplayResult& r) {
    json pcrs = json::object();
    json events = json::object();
    for (const BankReplay& b : r.banks) {
        json values = json::object();
        json contributors = json::object();
        for (std::uint32_t p = 0; p < pcr_count; ++p) {
            values[pcr_key(p)] = binary::to_hex(b.pcrs[p].value);
            if (!b.pcrs[p].events.empty()) contributors[pcr_key(p)] = b.pcrs[p].events;
        }
        const std::string bank(crypto::alg_name(b.alg));
        pcrs[bank] = values;
        events[bank] = contributors;
    }
    json j = {{"dynamic_launch", r.dynamic_launch},
              {"startup_locality", nullptr},
              {"pcrs", pcrs},
              {"events", events},
              {"notes", r.notes}};
    if (r.startup_locality) j["startup_locality"] = *r.startup_locality;
    return j;
}

json to_json(const Comparison& c) {
    json mismatches = json::array();
    for (const PcrMismatch& m : c.mismatches)
        mismatches.push_back({{"bank", crypto::alg_name(m.bank)},
                              {"pcr", m.pcr},
                              {"expected", binary::to_hex(m.expected)},
                              {"actual", binary::to_hex(m.actual)},
                              {"events", m.events},
                              {"skipped_events", m.skipped},
                              {"reason", m.reason}});
    json banks = json::array();
    for (crypto::HashAlg a : c.banks_not_in_log) banks.push_back(crypto::alg_name(a));
    return {{"ok", c.ok()},
            {"mismatches", mismatches},
            {"matched", ref_list(c.matched)},
            {"touched", ref_list(c.touched)},
            {"unchecked", ref_list(c.unchecked)},
            {"banks_not_in_log", banks},
            {"notes", c.notes}};
}

PcrValues pcr_values_from_json(const nlohmann::json& pcrs) {
    if (!pcrs.is_object()) throw std::invalid_argument("PCR values must be a JSON object of banks");
    PcrValues out;
    for (const auto& [bank_name, values] : pcrs.items()) {
        auto alg = crypto::alg_from_name(bank_name);
        if (!alg) throw std::invalid_argument("unknown PCR bank \"" + bank_name + "\"");
        if (!values.is_object())
            throw std::invalid_argument("bank \"" + bank_name + "\" must map PCR indices to hex");
        auto& bank = out[*alg];
        for (const auto& [key, hex] : values.items()) {
            std::uint32_t pcr = 0;
            auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), pcr);
            if (ec != std::errc() || end != key.data() + key.size() || pcr >= pcr_count)
                throw std::invalid_argument("PCR key \"" + key + "\" is not a decimal index 0-23");
            if (!hex.is_string())
                throw std::invalid_argument("PCR " + key + " of " + bank_name +
                                            " is not a hex string");
            bank[pcr] = binary::from_hex(hex.get<std::string>());
        }
    }
    return out;
}

std::vector<std::uint32_t> pcr_indices_from_json(const nlohmann::json& list) {
    if (!list.is_array()) throw std::invalid_argument("PCR indices must be a JSON list");
    std::vector<std::uint32_t> out;
    for (const auto& item : list) {
        if (!item.is_number_unsigned() || item.get<std::uint64_t>() >= pcr_count)
            throw std::invalid_argument("PCR index " + item.dump() + " is not a whole number 0-23");
        out.push_back(static_cast<std::uint32_t>(item.get<std::uint64_t>()));
    }
    return out;
}

nlohmann::json pcr_values_to_json(const PcrValues& values) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [alg, pcrs] : values) {
        auto& bank = out[std::string(crypto::alg_name(alg))];
        bank = nlohmann::json::object();
        for (const auto& [pcr, value] : pcrs) bank[std::to_string(pcr)] = binary::to_hex(value);
    }
    return out;
}

}  // namespace drtm::eventlog
