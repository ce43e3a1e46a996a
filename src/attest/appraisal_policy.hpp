// What a verifier accepts, beyond "the evidence is genuine and consistent":
// reference PCR values (typically `drtm predict --json` outputs, one per
// approved launch), allowlists of event digests per event label (e.g. the
// allowed kernels), and events that must be present. One JSON document
// ("drtm-appraisal-policy", version 1; docs/attestation.md).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eventlog/replay.hpp"

namespace drtm::attest {

constexpr std::size_t kMaxPolicyBytes = 1024 * 1024;

struct AppraisalPolicy {
    std::string id = "drtm-default";
    crypto::HashAlg bank = crypto::HashAlg::sha256;
    // PCRs that must be quoted (and, with reference values, match one set).
    std::vector<std::uint32_t> pcrs = {17, 18, 19, 20, 21, 22};
    // Each entry: PCR → value in `bank`. The quote must match one entry
    // (on the PCRs the entry names). Empty: no reference values.
    std::vector<std::map<std::uint32_t, binary::Bytes>> reference_values;
    // Event label → allowed digests in `bank`: every extended event with
    // that label must carry one of them.
    std::map<std::string, std::vector<binary::Bytes>> allowlist;
    // Labels at least one extended event must carry.
    std::vector<std::string> required_events;
};

nlohmann::json to_json(const AppraisalPolicy& p);
// Accepts `reference_values` entries as {"17": hex, ...} or as whole
// `drtm predict --json` outputs ({"pcrs": {"sha256": {...}}}). Throws
// std::runtime_error naming the field.
AppraisalPolicy parse_policy(std::string_view text);

}  // namespace drtm::attest
