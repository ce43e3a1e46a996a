// Appraising evidence: is it genuine (the enrolled AK signed a TPM-generated
// quote with this verifier's fresh nonce), consistent (the reported PCR
// values are the quoted ones; the log replays to them; the TPM's reset
// counters never went back), and acceptable (a launch happened; it is one
// of the reference launches; its events are allowed)? Every check runs and
// is reported by name, so a rejection says exactly why.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/appraisal_policy.hpp"
#include "attest/evidence.hpp"
#include "attest/tpm_structures.hpp"

namespace drtm::attest {

struct Check {
    std::string name;  // "signature", "nonce", "log_replay", ...
    bool passed = false;
    std::string detail;
};

// AR4SI trustworthiness claims (draft-ietf-rats-ar4si), by claim name.
using TrustVector = std::map<std::string, int>;

struct Verdict {
    std::vector<Check> checks;
    TrustVector trust_vector;
    std::optional<QuoteInfo> quote;  // when the quote parsed
    std::string status() const;      // "affirming", "warning", "contraindicated", "none"
    bool affirming() const { return status() == "affirming"; }
    std::vector<std::string> failed() const;
};

struct Expectations {
    binary::Bytes nonce;                   // the nonce this verifier issued
    std::optional<binary::Bytes> ak_name;  // the enrolled AK (none: not checked)
    std::optional<ClockInfo> previous;     // the node's last accepted clock info
    // The enrolled AK as a ready-made key: a verifier's cache, because
    // building an OpenSSL key from a point costs as much as verifying with it.
    // Used only when the evidence's AK is the enrolled one (same name, hence
    // the same public area).
    std::shared_ptr<const crypto::EcdsaP256Key> ak_key;
};

Verdict appraise(const Evidence& evidence, const Expectations& expected,
                 const AppraisalPolicy& policy);

}  // namespace drtm::attest
