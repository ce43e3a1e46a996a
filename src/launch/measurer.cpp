#include "launch/measurer.hpp"

#include <algorithm>

#include "crypto/digest.hpp"
#include "eventlog/event_text.hpp"

namespace drtm::launch {

Measurer::Measurer(PcrTarget& target, std::vector<HashAlg> log_banks)
    : target_(target), log_banks_(std::move(log_banks)) {}

std::vector<std::pair<HashAlg, Bytes>> Measurer::digests_of(ByteView measured) const {
    crypto::MultiHasher hasher(log_banks_);
    hasher.update(measured);
    auto values = hasher.finish();
    std::vector<std::pair<HashAlg, Bytes>> out;
    for (std::size_t i = 0; i < log_banks_.size(); ++i)
        out.emplace_back(log_banks_[i], std::move(values[i]));
    return out;
}

void Measurer::measure(const std::string& stage, std::uint8_t locality, std::uint32_t pcr,
                       std::uint32_t type, ByteView event_data, ByteView measured) {
    measure_digests(stage, locality, pcr, type, event_data, digests_of(measured));
}

void Measurer::measure_digests(const std::string& stage, std::uint8_t locality, std::uint32_t pcr,
                               std::uint32_t type, ByteView event_data,
                               std::vector<std::pair<HashAlg, Bytes>> digests) {
    target_.extend(locality, pcr, digests);
    records_.push_back(LogRecord{pcr, type, std::move(digests),
                                 Bytes(event_data.begin(), event_data.end()), stage, locality,
                                 true});
}

void Measurer::log_only(const std::string& stage, std::uint32_t pcr, std::uint32_t type,
                        ByteView event_data, std::vector<std::pair<HashAlg, Bytes>> digests) {
    records_.push_back(LogRecord{pcr, type, std::move(digests),
                                 Bytes(event_data.begin(), event_data.end()), stage, 0, false});
}

void Measurer::cap_other_banks(std::uint8_t locality, std::uint32_t pcr,
                               const std::vector<HashAlg>& tpm_banks) {
    std::vector<std::pair<HashAlg, Bytes>> caps;
    for (HashAlg bank : tpm_banks)
        if (std::find(log_banks_.begin(), log_banks_.end(), bank) == log_banks_.end())
            caps.emplace_back(bank, crypto::one_digest(bank));
    if (caps.empty()) return;
    target_.extend(locality, pcr, caps);
}

eventlog::Event to_event(const LogRecord& r) {
    eventlog::Event e;
    e.pcr = r.pcr;
    e.type = r.type;
    e.data = r.data;
    for (const auto& [alg, digest] : r.digests) e.digests.push_back({crypto::alg_id(alg), digest});
    return e;
}

nlohmann::json records_to_json(const std::vector<LogRecord>& records) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : records) {
        nlohmann::json digests = nlohmann::json::object();
        for (const auto& [alg, d] : r.digests)
            digests[std::string(crypto::alg_name(alg))] = binary::to_hex(d);
        out.push_back({{"stage", r.stage},
                       {"pcr", r.pcr},
                       {"type", r.type},
                       {"label", eventlog::printable_text(r.data).value_or("")},
                       {"data", binary::to_hex(r.data)},
                       {"locality", r.locality},
                       {"extended", r.extended},
                       {"digests", digests}});
    }
    return out;
}

}  // namespace drtm::launch
