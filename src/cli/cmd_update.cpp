// drtm update check: before rebooting into new artifacts, verify the current
// launch, predict the next one and report what will change.
#include <iomanip>
#include <iostream>
#include <memory>

#include "binary/error.hpp"
#include "cli/commands.hpp"
#include "cli/launch_inputs.hpp"
#include "cli/output.hpp"
#include "cli/running_log_input.hpp"
#include "cli/seal_store_ops.hpp"
#include "eventlog/parse.hpp"
#include "predict/update_check.hpp"

namespace drtm::cli {

namespace {
struct ApproveOptions {
    std::string dir;
    std::string key;
};
}  // namespace

void register_update(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("update", "Inspect an update before the reboot that launches it");
    cmd->require_subcommand(1);
    auto in = std::make_shared<LaunchInputs>();
    auto log_path = std::make_shared<std::string>();
    in->tcti = "device:/dev/tpmrm0";
    auto* check = cmd->add_subcommand(
        "check",
        "Verify the current launch (its log against the TPM), predict the launch of the new "
        "artifacts, and list what changes");
    check->add_option("--tcti", in->tcti, "TPM of the running launch")->capture_default_str();
    check->add_option("--log", *log_path,
                      "DRTM log of the running launch (default: the running system's, as `drtm log "
                      "read` finds it)");
    add_launch_inputs(check, *in);
    check->add_flag("--json", in->json, "Print JSON");
    auto approve = std::make_shared<ApproveOptions>();
    check->add_option("--authorize", approve->dir,
                      "Approve the predicted launch for the sealed secret in this directory "
                      "(only when the current launch verifies)");
    check->add_option("--key", approve->key,
                      "With --authorize: the owner's key (default: the store's)");
    check->callback([in, log_path, approve] {
        auto req = launch_request(*in);
        eventlog::EventLog current = event_log_or_running(*log_path);
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
        if (!report.current_verified()) {
            if (!approve->dir.empty())
                std::cerr << "drtm: not approving the next launch: the current one does not "
                             "verify\n";
            throw CLI::RuntimeError(1);
        }
        if (!approve->dir.empty()) {
            auto store = authorize_into_store(
                in->tcti, approve->dir, approve->key,
                {{next.pcrs, "update check: " + (in->kernel.empty() ? "xen " + in->xen
                                                                    : "kernel " + in->kernel[0])}},
                std::nullopt, false);
            const auto& added = store.authorized->authorizations.back();
            (in->json ? std::cerr : std::cout)
                << "approved the next launch for " << approve->dir << " (counter limit "
                << added.counter_limit << ")\n";
        }
    });
}

}  // namespace drtm::cli
