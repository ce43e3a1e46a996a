// JSON for programs (`--json`): parsed logs, replay results, comparisons.
// Digests and data are lower-case hex; PCR indices are decimal strings.
#pragma once

#include <nlohmann/json.hpp>

#include "eventlog/event_log.hpp"
#include "eventlog/replay.hpp"

namespace drtm::eventlog {

nlohmann::json to_json(const EventView& event);
// {"format", "log_offset", "end_offset", "end_reason", "spec_id", "txt_log_pointer",
//  "txt_container", "txt_heap", "notes", "events": [...]}
nlohmann::json to_json(const EventLog& log);
// {"dynamic_launch", "startup_locality", "pcrs": {"sha1": {"17": hex}},
//  "events": {"sha1": {"17": [indices]}}, "notes"}
nlohmann::json to_json(const ReplayResult& result);
nlohmann::json to_json(const Comparison& comparison);

// Reads {"sha1": {"17": "<hex>", ...}, "sha256": {...}} (the "pcrs" object of
// a *.pcrs.json file). Throws std::invalid_argument on unknown banks, PCR
// keys that are not decimal, or bad hex.
PcrValues pcr_values_from_json(const nlohmann::json& pcrs);
// The inverse: {"sha1": {"17": "<hex>", ...}, ...}.
nlohmann::json pcr_values_to_json(const PcrValues& values);

// Reads a list of PCR indices ([17, 18, ...]). Throws std::invalid_argument
// on anything but whole numbers 0-23: a JSON number may be a float or out of
// any integer's range, and converting such a one is undefined behaviour.
std::vector<std::uint32_t> pcr_indices_from_json(const nlohmann::json& list);

}  // namespace drtm::eventlog
