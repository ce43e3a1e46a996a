// The options that describe a launch (DCE, DLME, platform), shared by
// `drtm launch` and `drtm slrt build`.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "launch/launcher.hpp"
#include "predict/predictor.hpp"

namespace drtm::cli {

struct LaunchInputs {
    std::string tcti;
    std::string flavour;
    std::string dce;
    // Repeatable for `drtm predict` (one prediction per combination); the
    // other commands take exactly one of each.
    std::vector<std::string> kernel, initrd, cmdline;
    std::string xen, xen_cmdline;
    std::vector<std::string> modules;
    std::string platform;
    std::string out;
    bool json = false;
};

// `required`: --flavour and --dce must be given (false where the artifacts
// are one of several ways to name a launch, as in `drtm authorize`).
void add_launch_inputs(CLI::App* cmd, LaunchInputs& o, bool required = true);
// Throws CLI::ValidationError when neither --kernel nor --xen was given, or
// when a Linux option was repeated.
launch::LaunchRequest launch_request(const LaunchInputs& o);

// Every combination of the given kernels, initrds and command lines, in
// option order (kernel outermost). A single request for Xen.
struct LaunchVariant {
    launch::LaunchRequest request;
    nlohmann::json describe;  // {"kernel", "initrd", "cmdline"} of this combination
};
std::vector<LaunchVariant> launch_variants(const LaunchInputs& o);

// The prediction of every variant. Intel: SINIT's records come from
// `reference_log` when given (else drtm's model, with a note on stderr).
struct PredictedVariant {
    predict::Prediction prediction;
    nlohmann::json describe;
};
std::vector<PredictedVariant> predict_variants(const LaunchInputs& o,
                                               const std::string& reference_log);

}  // namespace drtm::cli
