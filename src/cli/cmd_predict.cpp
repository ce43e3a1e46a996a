// drtm predict: the PCR 17-22 values a launch of the given artifacts will
// produce, before it happens (to authorise them before a reboot).
#include <iomanip>
#include <iostream>
#include <memory>

#include "binary/error.hpp"
#include "cli/commands.hpp"
#include "cli/launch_inputs.hpp"
#include "cli/output.hpp"
#include "eventlog/parse.hpp"
#include "predict/predictor.hpp"

namespace drtm::cli {

void register_predict(CLI::App& app) {
    auto in = std::make_shared<LaunchInputs>();
    auto reference = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "predict", "Predict the PCR 17-22 values a launch of the given artifacts will produce");
    add_launch_inputs(cmd, *in);
    cmd->add_option("--reference-log", *reference,
                    "Intel: a DRTM log of an earlier launch on the target machine; its SINIT "
                    "records are kept and the DLME's are recomputed")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--json", in->json,
                  "Print JSON: {\"pcrs\": {\"sha256\": {\"17\": hex, ...}}, ...}");
    cmd->callback([in, reference] {
        auto variants = launch_variants(*in);
        const auto flavour = variants.front().request.flavour;
        std::optional<eventlog::EventLog> ref;
        if (!reference->empty()) {
            if (flavour != launch::Flavour::intel)
                throw CLI::ValidationError("--reference-log",
                                           "only Intel launches need a reference log");
            ref = binary::in_file(*reference, [&] { return eventlog::read_event_log(*reference); });
        } else if (flavour == launch::Flavour::intel) {
            progress("no --reference-log: SINIT's platform measurements come from drtm's model");
        }
        nlohmann::json all = nlohmann::json::array();
        for (std::size_t n = 0; n < variants.size(); ++n) {
            if (variants.size() > 1)
                progress("variant " + std::to_string(n + 1) + "/" +
                         std::to_string(variants.size()));
            auto p = predict::predict_launch(variants[n].request, ref ? &*ref : nullptr);
            if (in->json) {
                auto j = predict::to_json(p);
                j["variant"] = variants[n].describe;
                all.push_back(std::move(j));
                continue;
            }
            std::cout << "Predicted PCRs after a " << launch::flavour_name(flavour) << " launch";
            if (variants.size() > 1) std::cout << " of " << variants[n].describe.dump();
            std::cout << "\n(" << p.note << "):\n";
            for (const auto& [alg, values] : p.pcrs) {
                std::cout << crypto::alg_name(alg) << ":\n";
                for (const auto& [pcr, v] : values)
                    std::cout << "  " << std::setw(2) << pcr << ": " << binary::to_hex(v) << "\n";
            }
        }
        // One launch: the object itself, in the shape of `drtm log replay --json`.
        if (in->json) print_json(all.size() == 1 ? all[0] : nlohmann::json{{"variants", all}});
    });
}

}  // namespace drtm::cli
