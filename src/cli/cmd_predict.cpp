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
        auto predicted = predict_variants(*in, *reference);
        const auto flavour = in->flavour == "amd" ? launch::Flavour::amd : launch::Flavour::intel;
        nlohmann::json all = nlohmann::json::array();
        for (const auto& [p, describe] : predicted) {
            if (in->json) {
                auto j = predict::to_json(p);
                j["variant"] = describe;
                all.push_back(std::move(j));
                continue;
            }
            std::cout << "Predicted PCRs after a " << launch::flavour_name(flavour) << " launch";
            if (predicted.size() > 1) std::cout << " of " << describe.dump();
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
