#include "attest/evidence.hpp"

#include "binary/error.hpp"
#include "crypto/jws.hpp"
#include "eventlog/json.hpp"
#include "eventlog/parse.hpp"

namespace drtm::attest {

namespace {
constexpr const char* kFormat = "drtm-evidence";
constexpr int kVersion = 1;

const nlohmann::json& field(const nlohmann::json& j, const char* key) {
    if (!j.contains(key)) throw std::runtime_error(std::string("evidence: missing '") + key + "'");
    return j.at(key);
}

std::string text_field(const nlohmann::json& j, const char* key) {
    const auto& v = field(j, key);
    if (!v.is_string())
        throw std::runtime_error(std::string("evidence: '") + key + "' is not a string");
    return v.get<std::string>();
}

binary::Bytes hex_field(const nlohmann::json& j, const char* key) {
    try {
        return binary::from_hex(text_field(j, key));
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("evidence: '") + key + "': " + e.what());
    }
}
}  // namespace

nlohmann::json to_json(const Evidence& e) {
    return {{"format", kFormat},
            {"version", kVersion},
            {"node", e.node},
            {"ak_public", binary::to_hex(e.ak_public)},
            {"quote",
             {{"attest", binary::to_hex(e.quote_attest)},
              {"signature", binary::to_hex(e.quote_signature)}}},
            {"pcrs", eventlog::pcr_values_to_json(e.pcrs)},
            {"eventlog", crypto::base64url_encode(e.eventlog)}};
}

std::string serialize(const Evidence& e) {
    return to_json(e).dump();
}

Evidence parse_evidence(std::string_view text) {
    if (text.size() > kMaxEvidenceBytes)
        throw std::runtime_error("evidence: " + std::to_string(text.size()) +
                                 " bytes, more than the limit of " +
                                 std::to_string(kMaxEvidenceBytes));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error("evidence: offset " + std::to_string(e.byte) + ": not valid JSON");
    }
    if (!j.is_object()) throw std::runtime_error("evidence: not a JSON object");
    if (field(j, "format") != kFormat || field(j, "version") != kVersion)
        throw std::runtime_error("evidence: not drtm evidence of version " +
                                 std::to_string(kVersion));
    Evidence e;
    if (j.contains("node")) e.node = text_field(j, "node");
    e.ak_public = hex_field(j, "ak_public");
    const auto& quote = field(j, "quote");
    if (!quote.is_object()) throw std::runtime_error("evidence: 'quote' is not an object");
    e.quote_attest = hex_field(quote, "attest");
    e.quote_signature = hex_field(quote, "signature");
    try {
        e.pcrs = eventlog::pcr_values_from_json(field(j, "pcrs"));
    } catch (const std::exception& ex) {
        throw std::runtime_error(std::string("evidence: 'pcrs': ") + ex.what());
    }
    const auto log_text = text_field(j, "eventlog");
    if (log_text.size() / 4 * 3 > kMaxEventLogBytes)
        throw std::runtime_error("evidence: event log larger than the limit of " +
                                 std::to_string(kMaxEventLogBytes) + " bytes");
    try {
        e.eventlog = crypto::base64url_decode(log_text);
    } catch (const std::exception& ex) {
        throw std::runtime_error(std::string("evidence: 'eventlog': ") + ex.what());
    }
    return e;
}

Evidence collect_evidence(tpm::Tpm& tpm, const tpm::AttestationKeyBlob& ak, binary::ByteView nonce,
                          binary::ByteView log, const CollectOptions& options) {
    Evidence e;
    e.node = options.node;
    e.ak_public = ak.public_area;
    // Without the securityfs buffer's zero padding: a DRTM log is a few KiB
    // in a 32 KiB buffer, and the verifier pays for every byte it decodes.
    // A log that does not parse is sent as it is, for the verifier to reject.
    try {
        auto parsed = eventlog::parse_event_log(log);
        auto used = parsed.log_bytes();
        e.eventlog.assign(used.begin(), used.end());
    } catch (const binary::ParseError&) {
        e.eventlog.assign(log.begin(), log.end());
    }
    std::vector<std::pair<crypto::HashAlg, std::vector<std::uint32_t>>> selection;
    for (auto bank : options.banks.empty() ? tpm.allocated_banks() : options.banks)
        selection.push_back({bank, options.pcrs});
    // PCRs cannot change between the quote and the read: every drtm process
    // holds the platform lock, and on a real machine PCRs 17-22 only change
    // in a dynamic launch, which does not happen under a running OS.
    auto q = tpm.quote(ak, options.ek, nonce, selection);
    e.quote_attest = std::move(q.attest);
    e.quote_signature = std::move(q.signature);
    std::vector<crypto::HashAlg> banks;
    for (const auto& [bank, pcrs] : selection) banks.push_back(bank);
    auto values = tpm.read_pcrs(banks, options.pcrs);
    e.pcrs = eventlog::PcrValues(values.begin(), values.end());
    return e;
}

}  // namespace drtm::attest
