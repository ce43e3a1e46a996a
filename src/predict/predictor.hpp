// Predicting the PCR 17-22 values a launch of given artifacts will produce,
// with the launch module's own stage code run on a software model of the
// PCRs: one implementation of "what is measured" serves both.
//
// What cannot be computed from files is said so: Intel's SINIT measures
// platform policy that only a log of a real launch on that machine knows. A
// reference log supplies it (its DCE records are kept, the MLE hash is
// recomputed for the new DLME); without one, drtm's emulated SINIT model and
// the platform description are used, which is exact on the emulated platform
// only.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/event_log.hpp"
#include "launch/launcher.hpp"
#include "launch/measurer.hpp"
#include "tpm/tpm.hpp"

namespace drtm::predict {

enum class DceSource {
    slb,            // AMD: SKINIT and SKL measure only files
    sinit_model,    // Intel without a reference: drtm's emulated SINIT + platform file
    reference_log,  // Intel: DCE records of a real (or earlier) launch's log
};
std::string_view dce_source_name(DceSource s);

struct Prediction {
    tpm::PcrBanks pcrs;  // PCR 17-22 of the banks the stages hash (SHA-1, SHA-256)
    std::vector<launch::LogRecord> records;
    DceSource dce_source = DceSource::slb;
    std::string note;  // what the prediction rests on, for people
};

// `reference` is needed for a faithful Intel prediction on real hardware.
// Throws std::runtime_error for a reference without the records it needs.
Prediction predict_launch(const launch::LaunchRequest& request,
                          const eventlog::EventLog* reference = nullptr);

// {"pcrs": {"sha1": {"17": hex, ...}, "sha256": {...}}, "dce_source", "note", "events": [...]}
// — "pcrs" has the shape of `drtm log replay --json`.
nlohmann::json to_json(const Prediction& p);

}  // namespace drtm::predict
