// Update/shutdown inspection: before rebooting into new artifacts, check
// that the current launch is what its log says, predict the next one, and
// say what will change — PCR by PCR and measurement by measurement.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eventlog/event_log.hpp"
#include "eventlog/replay.hpp"
#include "predict/predictor.hpp"

namespace drtm::predict {

struct MeasurementChange {
    std::uint32_t pcr = 0;
    std::string what;    // label or event type name
    std::string change;  // "changed", "added", "removed"
    std::string before;  // sha256 digests, hex ("" when absent)
    std::string after;
};

struct UpdateReport {
    eventlog::Comparison current;  // current log replay vs the TPM
    Prediction next;
    tpm::PcrBanks current_pcrs;               // read from the TPM
    std::vector<std::uint32_t> changed_pcrs;  // in the prediction's banks
    std::vector<MeasurementChange> changes;
    bool current_verified() const { return current.ok(); }
};

// `current_log` must be the log of the launch the TPM holds now.
UpdateReport compare_with_next(const eventlog::EventLog& current_log, const tpm::PcrBanks& tpm_pcrs,
                               const Prediction& next);

nlohmann::json to_json(const UpdateReport& r);

}  // namespace drtm::predict
