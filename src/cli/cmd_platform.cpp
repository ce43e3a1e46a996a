// drtm platform start|stop|status: a long-lived emulated platform (swtpm)
// that other commands reach through the TCTI string `start` prints.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "launch/emulated_platform.hpp"

namespace drtm::cli {

void register_platform(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("platform", "Start, stop or query an emulated DRTM platform (swtpm)");
    cmd->require_subcommand(1);

    struct Options {
        std::string state;
        std::string banks = "sha1,sha256";
        bool json = false;
        bool ek_certificates = false;
    };
    auto opts = std::make_shared<Options>();

    auto* start = cmd->add_subcommand("start", "Start swtpm in DIR and print its TCTI string");
    start->add_option("--state", opts->state, "State directory (created, mode 0700)")->required();
    start->add_option("--banks", opts->banks, "PCR banks of a newly manufactured TPM")
        ->capture_default_str();
    start->add_flag("--ek-certificates", opts->ek_certificates,
                    "Issue EK certificates (RSA-2048, P-256) from this platform's own CA, "
                    "DIR/ek-ca.pem, into the TPM's NV");
    start->add_flag("--json", opts->json, "Print JSON");
    start->callback([opts] {
        auto tcti = launch::EmulatedPlatform::start(opts->state, parse_bank_list(opts->banks),
                                                    progress, {opts->ek_certificates});
        if (opts->json) {
            auto st = launch::EmulatedPlatform::status(opts->state);
            print_json({{"tcti", tcti}, {"pid", st.pid}, {"state", st.state_dir.string()}});
        } else {
            std::cout << tcti << "\n";
        }
    });

    auto* stop = cmd->add_subcommand("stop", "Stop the platform in DIR");
    stop->add_option("--state", opts->state, "State directory")->required();
    stop->add_flag("--json", opts->json, "Print JSON");
    stop->callback([opts] {
        bool was = launch::EmulatedPlatform::stop(opts->state);
        if (opts->json)
            print_json({{"stopped", was}});
        else
            std::cout << (was ? "stopped" : "not running") << "\n";
    });

    auto* status = cmd->add_subcommand("status", "Report whether the platform in DIR runs");
    status->add_option("--state", opts->state, "State directory")->required();
    status->add_flag("--json", opts->json, "Print JSON");
    status->callback([opts] {
        auto st = launch::EmulatedPlatform::status(opts->state);
        if (opts->json) {
            print_json({{"running", st.running},
                        {"pid", st.pid},
                        {"tcti", st.tcti},
                        {"state", st.state_dir.string()}});
        } else if (st.running) {
            std::cout << "running (swtpm pid " << st.pid << ")\n" << st.tcti << "\n";
        } else {
            std::cout << "not running\n";
        }
        if (!st.running) throw CLI::RuntimeError(3);
    });
}

}  // namespace drtm::cli
