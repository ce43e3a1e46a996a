// The options that describe a launch (DCE, DLME, platform), shared by
// `drtm launch` and `drtm slrt build`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "launch/launcher.hpp"

namespace drtm::cli {

struct LaunchInputs {
    std::string tcti;
    std::string flavour;
    std::string dce;
    std::string kernel, initrd, cmdline;
    std::string xen, xen_cmdline;
    std::vector<std::string> modules;
    std::string platform;
    std::string out;
    bool json = false;
};

void add_launch_inputs(CLI::App* cmd, LaunchInputs& o);
// Throws CLI::ValidationError when neither --kernel nor --xen was given.
launch::LaunchRequest launch_request(const LaunchInputs& o);

}  // namespace drtm::cli
