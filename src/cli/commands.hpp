// Each subcommand lives in its own file and registers itself on the app.
// The CLI holds no logic of its own: it parses arguments, calls the modules,
// and prints text for people or JSON (--json) for programs.
#pragma once

#include <CLI/CLI.hpp>

namespace drtm::cli {

void register_platform(CLI::App& app);
void register_pcr(CLI::App& app);
void register_log(CLI::App& app);
void register_slrt(CLI::App& app);
void register_image(CLI::App& app);
void register_launch(CLI::App& app);
void register_predict(CLI::App& app);
void register_seal(CLI::App& app);
void register_authorize(CLI::App& app);
void register_attest(CLI::App& app);
void register_update(CLI::App& app);
void register_verifier(CLI::App& app);
void register_agent(CLI::App& app);
void register_vm(CLI::App& app);
void register_inspect(CLI::App& app);
void register_txt(CLI::App& app);

}  // namespace drtm::cli
