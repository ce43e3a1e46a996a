#include "predict/update_check.hpp"

#include <algorithm>

#include "eventlog/event_text.hpp"
#include "eventlog/event_types.hpp"
#include "eventlog/json.hpp"

namespace drtm::predict {

namespace {

struct Measurement {
    std::uint32_t pcr = 0;
    std::string what;
    std::string sha256;
};

// What was extended, in order: replay's rules decide (no header, no markers).
std::vector<Measurement> extended_measurements(const eventlog::EventLog& log) {
    auto r = eventlog::replay(log);
    std::vector<bool> extended(log.size(), false);
    for (const auto& bank : r.banks)
        for (const auto& pcr : bank.pcrs)
            for (auto i : pcr.events) extended[i] = true;
    std::vector<Measurement> out;
    for (const auto& e : log.events()) {
        if (!extended[e.index]) continue;
        const auto* d = e.find_digest(crypto::alg_id(crypto::HashAlg::sha256));
        out.push_back(
            {e.pcr, eventlog::event_label(e.type, e.data), d ? binary::to_hex(d->bytes) : ""});
    }
    return out;
}

std::vector<Measurement> extended_measurements(const std::vector<launch::LogRecord>& records) {
    std::vector<Measurement> out;
    for (const auto& r : records) {
        // The CPU's record is logged, not extended by the stage, but it is
        // a measurement the launch carries: keep it, as the replay does.
        if (!r.extended && !(r.type == 0x502 || r.type == 0x402)) continue;
        std::string sha;
        for (const auto& [alg, d] : r.digests)
            if (alg == crypto::HashAlg::sha256) sha = binary::to_hex(d);
        out.push_back({r.pcr, eventlog::event_label(r.type, r.data), sha});
    }
    return out;
}

}  // namespace

UpdateReport compare_with_next(const eventlog::EventLog& current_log, const tpm::PcrBanks& tpm_pcrs,
                               const Prediction& next) {
    UpdateReport r;
    r.next = next;
    r.current_pcrs = tpm_pcrs;
    r.current = eventlog::compare(eventlog::replay(current_log),
                                  eventlog::PcrValues(tpm_pcrs.begin(), tpm_pcrs.end()));
    for (const auto& [bank, values] : next.pcrs)
        for (const auto& [pcr, v] : values) {
            auto b = tpm_pcrs.find(bank);
            if (b == tpm_pcrs.end() || !b->second.count(pcr) || b->second.at(pcr) != v)
                if (std::find(r.changed_pcrs.begin(), r.changed_pcrs.end(), pcr) ==
                    r.changed_pcrs.end())
                    r.changed_pcrs.push_back(pcr);
        }
    std::sort(r.changed_pcrs.begin(), r.changed_pcrs.end());

    // Pair measurements by (PCR, label) in order of appearance.
    auto before = extended_measurements(current_log);
    auto after = extended_measurements(next.records);
    std::vector<bool> used(after.size(), false);
    for (const auto& b : before) {
        auto it = std::find_if(after.begin(), after.end(), [&](const Measurement& a) {
            return !used[&a - after.data()] && a.pcr == b.pcr && a.what == b.what;
        });
        if (it == after.end()) {
            r.changes.push_back({b.pcr, b.what, "removed", b.sha256, ""});
            continue;
        }
        used[it - after.begin()] = true;
        if (it->sha256 != b.sha256)
            r.changes.push_back({b.pcr, b.what, "changed", b.sha256, it->sha256});
    }
    for (std::size_t i = 0; i < after.size(); ++i)
        if (!used[i])
            r.changes.push_back({after[i].pcr, after[i].what, "added", "", after[i].sha256});
    return r;
}

nlohmann::json to_json(const UpdateReport& r) {
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& c : r.changes)
        changes.push_back({{"pcr", c.pcr},
                           {"what", c.what},
                           {"change", c.change},
                           {"before", c.before},
                           {"after", c.after}});
    return {{"current_verified", r.current_verified()},
            {"current", eventlog::to_json(r.current)},
            {"current_pcrs", eventlog::pcr_values_to_json(r.current_pcrs)},
            {"next", to_json(r.next)},
            {"changed_pcrs", r.changed_pcrs},
            {"changes", changes}};
}

}  // namespace drtm::predict
