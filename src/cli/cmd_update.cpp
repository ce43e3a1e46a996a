// drtm update check: before rebooting into new artifacts, verify the current
// launch, predict the next one and report what will change.
#include <iomanip>
#include <iostream>
#include <memory>

#include "binary/error.hpp"
#include "cli/commands.hpp"
#include "cli/launch_inputs.hpp"
#include "cli/output.hpp"
#include "eventlog/parse.hpp"
#include "predict/update_check.hpp"

namespace drtm::cli {

void register_update(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("update", "Inspect an update before the reboot that launches it");
    cmd->require_subcommand(1);
    auto in = std::make_shared<LaunchInputs>();
    auto log_path = std::make_shared<std::string>("/sys/kernel/security/slaunch/eventlog");
    in->tcti = "device:/dev/tpmrm0";
    auto* check = cmd->add_subcommand(
        "check",
        "Verify the current launch (its log against the TPM), predict the launch of the new "
        "artifacts, and list what changes");
    check->add_option("--tcti", in->tcti, "TPM of the running launch")->capture_default_str();
    check->add_option("--log", *log_path, "DRTM log of the running launch")->capture_default_str();
    add_launch_inputs(check, *in);
    check->add_flag("--json", in->json, "Print JSON");
    check->callback([in, log_path] {
        auto req = launch_request(*in);
        eventlog::EventLog current =
            binary::in_file(*log_path, [&] { return eventlog::read_event_log(*log_path); });
        tpm::PcrBanks tpm_pcrs;
        {
            tpm::Tpm t(in->tcti);
            tpm_pcrs = t.read_pcrs({crypto::HashAlg::sha1, crypto::HashAlg::sha256},
                                   {17, 18, 19, 20, 21, 22});
        }
        // On Intel the running launch's log is the reference for SINIT's part.
        auto next = predict::predict_launch(
            req, req.flavour == launch::Flavour::intel ? &current : nullptr);
        auto report = predict::compare_with_next(current, tpm_pcrs, next);
        if (in->json) {
            print_json(predict::to_json(report));
        } else {
            std::cout << "current launch: "
                      << (report.current_verified()
                              ? "verified (its log replays to the TPM)"
                              : "NOT verified: its log does not match the TPM")
                      << "\n";
            std::cout << "next launch (" << next.note << "):\n";
            for (const auto& [pcr, v] : next.pcrs.at(crypto::HashAlg::sha256)) {
                bool changed = std::find(report.changed_pcrs.begin(), report.changed_pcrs.end(),
                                         pcr) != report.changed_pcrs.end();
                std::cout << "  PCR " << std::setw(2) << pcr
                          << (changed ? " changes  " : " unchanged ") << binary::to_hex(v) << "\n";
            }
            if (report.changes.empty()) std::cout << "no measurement changes\n";
            for (const auto& c : report.changes)
                std::cout << "  " << std::left << std::setw(8) << c.change << std::right << " PCR "
                          << c.pcr << "  " << c.what << "\n";
        }
        if (!report.current_verified()) throw CLI::RuntimeError(1);
    });
}

}  // namespace drtm::cli
