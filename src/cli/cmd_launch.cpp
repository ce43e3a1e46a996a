// drtm launch: an emulated dynamic launch of a Linux kernel or Xen.
#include <iomanip>
#include <iostream>
#include <memory>

#include "binary/bytes.hpp"
#include "cli/commands.hpp"
#include "cli/launch_inputs.hpp"
#include "cli/output.hpp"
#include "eventlog/event_types.hpp"
#include "launch/emulated_platform.hpp"
#include "launch/launcher.hpp"

namespace drtm::cli {

namespace {

void print_text(const launch::LaunchResult& r, const std::string& out) {
    const auto& s = r.summary;
    std::cout << "Dynamic launch (" << s["flavour"].get<std::string>() << "), DCE "
              << s["dce"]["file"].get<std::string>() << "\n";
    std::cout << "  restartCount " << s["tpm"]["restart_count_before"] << " -> "
              << s["tpm"]["restart_count_after"] << ", tpmEstablished "
              << (s["tpm"]["tpm_established"].get<bool>() ? "set" : "clear") << "\n\n";
    std::cout << "  stage  loc  PCR  extended  label / event type                  sha256\n";
    for (const auto& m : s["measurements"]) {
        std::string label = m["label"].get<std::string>();
        if (label.empty()) label = eventlog::event_type_name(m["type"].get<std::uint32_t>());
        if (label.size() > 34) label = label.substr(0, 31) + "...";
        std::string digest = m["digests"].value("sha256", "");
        std::cout << "  " << std::left << std::setw(6) << m["stage"].get<std::string>() << " "
                  << std::setw(4)
                  << (m["extended"].get<bool>() ? std::to_string(m["locality"].get<int>()) : "-")
                  << " " << std::setw(4) << m["pcr"].get<int>() << " " << std::setw(9)
                  << (m["extended"].get<bool>() ? "yes" : "log only") << " " << std::setw(35)
                  << label << " " << digest.substr(0, 16) << "…\n";
    }
    std::cout << "\n  TPM PCRs after the launch (sha256):\n";
    for (const auto& [pcr, v] : s["tpm_pcrs"]["sha256"].items())
        std::cout << "    " << std::setw(2) << std::right << pcr << ": " << v.get<std::string>()
                  << "\n";
    std::cout << "\n  event log replay vs TPM: "
              << (r.verified ? "MATCH (sha1 and sha256, PCR 17-22)" : "MISMATCH") << "\n";
    std::cout << "  wrote " << out << "/{eventlog.bin,slrt.bin,summary.json}\n";
}

}  // namespace

void register_launch(CLI::App& app) {
    auto o = std::make_shared<LaunchInputs>();
    auto* cmd = app.add_subcommand(
        "launch",
        "Perform an emulated dynamic launch (SKINIT or SENTER) of Linux or Xen and verify its log");
    cmd->add_option("--tcti", o->tcti,
                    "Emulated platform to launch on (swtpm:path=SOCKET, from 'drtm platform "
                    "start'); without it a temporary platform is used and discarded");
    add_launch_inputs(cmd, *o);
    cmd->add_option("--out", o->out, "Directory for eventlog.bin, slrt.bin, summary.json")
        ->required();
    cmd->add_flag("--json", o->json, "Print summary.json to stdout");
    cmd->callback([o] {
        launch::LaunchRequest req = launch_request(*o);
        req.progress = progress;
        std::unique_ptr<launch::ScopedPlatform> scoped;
        req.tcti = o->tcti;
        if (req.tcti.empty()) {
            progress("no --tcti: starting a temporary emulated platform");
            scoped = std::make_unique<launch::ScopedPlatform>();
            req.tcti = scoped->tcti();
        }
        auto result = launch::perform_launch(req);
        launch::write_launch_outputs(result, o->out);
        if (o->json)
            print_json(result.summary);
        else
            print_text(result, o->out);
        if (!result.verified) throw CLI::RuntimeError(1);
    });
}

}  // namespace drtm::cli
