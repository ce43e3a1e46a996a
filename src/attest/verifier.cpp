#include "attest/verifier.hpp"

#include <algorithm>

#include "binary/error.hpp"
#include "crypto/digest.hpp"
#include "eventlog/event_text.hpp"
#include "eventlog/parse.hpp"

namespace drtm::attest {

namespace {
// AR4SI values (draft-ietf-rats-ar4si §3.3).
constexpr int kApproved = 2, kUnsafe = 32, kUnrecognized = 33, kContraindicated = 96,
              kUnrecognizedInstance = 97, kCryptoFailed = 99;

int tier(int claim) {  // 0 none, 1 affirming, 2 warning, 3 contraindicated
    if (claim >= -1 && claim <= 1) return 0;
    int a = claim < 0 ? -claim : claim;
    if (a <= 31) return 1;
    if (a <= 95) return 2;
    return 3;
}

class Appraisal {
  public:
    Verdict verdict;
    void check(const std::string& name, bool passed, const std::string& detail,
               const std::string& claim = "", int on_failure = 0) {
        verdict.checks.push_back({name, passed, detail});
        if (!passed && !claim.empty()) worsen(claim, on_failure);
    }
    void worsen(const std::string& claim, int value) {
        auto it = verdict.trust_vector.find(claim);
        if (it == verdict.trust_vector.end() || tier(value) > tier(it->second))
            verdict.trust_vector[claim] = value;
    }
    void affirm(const std::string& claim, int value) {
        if (!verdict.trust_vector.count(claim)) verdict.trust_vector[claim] = value;
    }
};

std::map<std::uint16_t, std::map<std::uint32_t, Bytes>> by_alg_id(const eventlog::PcrValues& v) {
    std::map<std::uint16_t, std::map<std::uint32_t, Bytes>> out;
    for (const auto& [bank, values] : v) out[crypto::alg_id(bank)] = values;
    return out;
}

std::string short_hex(const Bytes& b) {
    auto h = binary::to_hex(b);
    return h.size() > 16 ? h.substr(0, 16) + "…" : h;
}
}  // namespace

std::string Verdict::status() const {
    int worst = -1;
    for (const auto& [claim, value] : trust_vector)
        if (value != 0) worst = std::max(worst, tier(value));
    switch (worst) {
        case 1:
            return "affirming";
        case 2:
            return "warning";
        case 3:
            return "contraindicated";
        default:
            return "none";
    }
}

std::vector<std::string> Verdict::failed() const {
    std::vector<std::string> out;
    for (const auto& c : checks)
        if (!c.passed) out.push_back(c.name);
    return out;
}

Verdict appraise(const Evidence& evidence, const Expectations& expected,
                 const AppraisalPolicy& policy) {
    Appraisal a;

    // 1. Who signed: a proper AK, and the enrolled one.
    std::optional<AttestationKey> ak;
    try {
        ak = parse_attestation_key(evidence.ak_public);
        a.check("attestation_key", true, "restricted P-256 signing key");
    } catch (const binary::ParseError& e) {
        a.check("attestation_key", false, e.what(), "instance-identity", kCryptoFailed);
    }
    if (ak && expected.ak_name) {
        bool same = ak->name == *expected.ak_name;
        a.check("enrolled_key", same,
                same ? "the enrolled AK" : "AK " + short_hex(ak->name) + " is not the enrolled one",
                "instance-identity", kUnrecognizedInstance);
    }

    // 2. What was signed: a TPM-generated quote, signed by that key.
    std::optional<QuoteInfo> quote;
    try {
        quote = parse_quote(evidence.quote_attest);
        a.check("quote_structure", true, "TPM-generated TPMS_ATTEST of type quote");
    } catch (const binary::ParseError& e) {
        a.check("quote_structure", false, e.what(), "instance-identity", kCryptoFailed);
    }
    if (ak) {
        bool valid = false;
        std::string detail = "ECDSA-SHA256 by the AK";
        try {
            auto sig = parse_ecdsa_signature(evidence.quote_signature);
            const auto digest = crypto::hash(crypto::HashAlg::sha256, evidence.quote_attest);
            if (expected.ak_key && expected.ak_name && ak->name == *expected.ak_name) {
                valid = expected.ak_key->verify_digest(digest, sig);
            } else {
                valid =
                    crypto::EcdsaP256Key::from_public_point(ak->point).verify_digest(digest, sig);
            }
            if (!valid) detail = "the signature does not verify with the AK";
        } catch (const std::exception& e) {
            detail = e.what();
        }
        a.check("signature", valid, detail, "instance-identity", kCryptoFailed);
    }
    if (!quote) {
        a.verdict.quote = std::nullopt;
        return a.verdict;
    }
    a.verdict.quote = quote;

    // 3. Fresh: our nonce, and the TPM's counters did not go back.
    const bool fresh = !expected.nonce.empty() && quote->extra_data == expected.nonce;
    a.check("nonce", fresh,
            fresh ? "the verifier's nonce" : "the quote carries another nonce (replayed or stale)",
            "instance-identity", kContraindicated);
    if (expected.previous) {
        const auto& p = *expected.previous;
        const auto& c = quote->clock;
        bool forward = c.reset_count > p.reset_count ||
                       (c.reset_count == p.reset_count && c.restart_count >= p.restart_count);
        a.check("tpm_counters", forward,
                "reset " + std::to_string(c.reset_count) + " / restart " +
                    std::to_string(c.restart_count) + " after reset " +
                    std::to_string(p.reset_count) + " / restart " + std::to_string(p.restart_count),
                "instance-identity", kContraindicated);
    }
    a.affirm("instance-identity", kApproved);

    // 4. Consistent: the reported values are the quoted ones, and the
    // quote covers the policy's PCRs.
    Bytes digest;
    try {
        digest =
            quote_pcr_digest(crypto::HashAlg::sha256, quote->selection, by_alg_id(evidence.pcrs));
    } catch (const std::exception& e) {
        a.check("pcr_digest", false, e.what(), "executables", kCryptoFailed);
    }
    if (!digest.empty())
        a.check("pcr_digest", digest == quote->pcr_digest,
                digest == quote->pcr_digest ? "reported PCR values are the quoted ones"
                                            : "reported PCR values are not the quoted ones",
                "executables", kCryptoFailed);
    auto bank_sel = std::find_if(
        quote->selection.begin(), quote->selection.end(),
        [&](const PcrBankSelection& s) { return s.hash_alg == crypto::alg_id(policy.bank); });
    bool covered = bank_sel != quote->selection.end() &&
                   std::all_of(policy.pcrs.begin(), policy.pcrs.end(), [&](std::uint32_t p) {
                       return std::find(bank_sel->pcrs.begin(), bank_sel->pcrs.end(), p) !=
                              bank_sel->pcrs.end();
                   });
    a.check("pcr_selection", covered,
            covered ? "the policy's PCRs are quoted"
                    : "the quote does not cover the policy's PCRs in " +
                          std::string(crypto::alg_name(policy.bank)),
            "executables", kUnrecognized);
    const auto& quoted = evidence.pcrs.count(policy.bank) ? evidence.pcrs.at(policy.bank)
                                                          : std::map<std::uint32_t, Bytes>{};

    // 5. A launch happened: fail closed on DRTM PCRs of no launch.
    std::string unlaunched;
    for (auto p : policy.pcrs) {
        auto it = quoted.find(p);
        if (it != quoted.end() && p >= 17 && p <= 22 && binary::all_equal(it->second, 0xFF))
            unlaunched += (unlaunched.empty() ? "" : ", ") + std::to_string(p);
    }
    a.check("dynamic_launch", unlaunched.empty(),
            unlaunched.empty() ? "DRTM PCRs were reset by a dynamic launch"
                               : "PCR " + unlaunched + " all FF: no dynamic launch happened",
            "executables", kContraindicated);

    // 6. The log is the launch's: it replays to the quoted values.
    std::optional<eventlog::EventLog> log;
    try {
        log = eventlog::parse_event_log(evidence.eventlog);
    } catch (const binary::ParseError& e) {
        a.check("log_replay", false, std::string("event log: ") + e.what(), "executables",
                kContraindicated);
    }
    std::vector<eventlog::EventView> extended;
    if (log) {
        auto replayed = eventlog::replay(*log);
        std::string mismatch;
        for (const auto& [bank, values] : evidence.pcrs) {
            const auto* b = replayed.bank(bank);
            for (const auto& [pcr, value] : values) {
                if (pcr < 17 || pcr > 22) continue;
                if (!b || b->pcrs[pcr].value != value)
                    mismatch += (mismatch.empty() ? "" : ", ") +
                                std::string(crypto::alg_name(bank)) + " PCR " + std::to_string(pcr);
            }
        }
        a.check("log_replay", mismatch.empty(),
                mismatch.empty() ? "the log replays to the quoted PCRs"
                                 : "the log does not replay to the quoted " + mismatch,
                "executables", kContraindicated);
        if (mismatch.empty()) {
            std::vector<bool> ext(log->size(), false);
            for (const auto& bank : replayed.banks)
                for (const auto& pcr : bank.pcrs)
                    for (auto i : pcr.events) ext[i] = true;
            for (const auto& e : log->events())
                if (ext[e.index]) extended.push_back(e);
        }
    }

    // 7. Acceptable: reference values, allowlists, required events.
    if (!policy.reference_values.empty()) {
        std::size_t match = 0;
        bool found = false;
        for (; match < policy.reference_values.size() && !found; ++match) {
            found = std::all_of(policy.reference_values[match].begin(),
                                policy.reference_values[match].end(), [&](const auto& kv) {
                                    auto it = quoted.find(kv.first);
                                    return it != quoted.end() && it->second == kv.second;
                                });
        }
        a.check("reference_values", found,
                found ? "matches reference launch " + std::to_string(match)
                      : "matches none of the " + std::to_string(policy.reference_values.size()) +
                            " reference launches",
                "executables", kUnrecognized);
    }
    const std::uint16_t bank_id = crypto::alg_id(policy.bank);
    if (!policy.allowlist.empty() && log) {
        std::string denied;
        for (const auto& e : extended) {
            auto label = eventlog::event_label(e.type, e.data);
            auto rule = policy.allowlist.find(label);
            if (rule == policy.allowlist.end()) continue;
            const auto* d = e.find_digest(bank_id);
            Bytes digest_bytes = d ? Bytes(d->bytes.begin(), d->bytes.end()) : Bytes{};
            if (std::find(rule->second.begin(), rule->second.end(), digest_bytes) ==
                rule->second.end())
                denied += (denied.empty() ? "" : "; ") + label + " " + short_hex(digest_bytes);
        }
        a.check(
            "allowlist", denied.empty(),
            denied.empty() ? "every listed event has an allowed digest" : "not allowed: " + denied,
            "executables", kUnrecognized);
    }
    if (!policy.required_events.empty() && log) {
        std::string missing;
        for (const auto& label : policy.required_events) {
            bool present = std::any_of(extended.begin(), extended.end(), [&](const auto& e) {
                return eventlog::event_label(e.type, e.data) == label;
            });
            if (!present) missing += (missing.empty() ? "" : ", ") + label;
        }
        a.check("required_events", missing.empty(),
                missing.empty() ? "all required events present" : "missing: " + missing,
                "configuration", kUnsafe);
    }
    if (policy.reference_values.empty() && policy.allowlist.empty())
        a.check("appraised", false,
                "the policy has no reference values or allowlist: the launch was not appraised",
                "executables", kUnrecognized);
    a.affirm("executables", kApproved);
    if (!policy.required_events.empty()) a.affirm("configuration", kApproved);
    return a.verdict;
}

}  // namespace drtm::attest
