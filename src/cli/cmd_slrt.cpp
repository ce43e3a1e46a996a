// drtm slrt show|build: read and validate a Secure Launch Resource Table, or
// build one the way GRUB does for a Linux launch.
#include <iomanip>
#include <iostream>
#include <memory>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/launch_inputs.hpp"
#include "cli/output.hpp"
#include "launch/launcher.hpp"
#include "slrt/json.hpp"
#include "slrt/table.hpp"

namespace drtm::cli {

namespace {
struct SlrtOptions {
    std::string file;
    std::string out;
    bool json = false;
};

void print_text(const nlohmann::json& j) {
    std::cout << "SLRT: architecture " << j.value("architecture", "?") << ", size "
              << j.value("size", nlohmann::json()).dump() << ", max_size "
              << j.value("max_size", nlohmann::json()).dump() << "\n";
    for (const auto& e : j["entries"]) {
        std::cout << "  " << e.value("tag_name", e.value("tag", nlohmann::json()).dump()) << "\n";
        for (const auto& [k, v] : e.items()) {
            if (k == "tag" || k == "tag_name" || k == "entries") continue;
            std::cout << "    " << std::left << std::setw(22) << k
                      << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
        }
        if (e.contains("entries"))
            for (const auto& pe : e["entries"]) std::cout << "    - " << pe.dump() << "\n";
    }
}
}  // namespace

void register_slrt(CLI::App& app) {
    auto* cmd = app.add_subcommand("slrt", "Show or build a Secure Launch Resource Table");
    cmd->require_subcommand(1);
    auto o = std::make_shared<SlrtOptions>();

    auto* show = cmd->add_subcommand("show", "Parse, validate and print an SLRT");
    show->add_option("FILE", o->file, "SLRT bytes (e.g. slrt.bin from drtm launch)")
        ->required()
        ->check(CLI::ExistingFile);
    show->add_flag("--json", o->json, "Print JSON");
    show->callback([o] {
        auto bytes = binary::read_file(o->file, slrt::kMaxSlrtBytes, "the SLRT");
        slrt::Table table = binary::in_file(o->file, [&] { return slrt::parse(bytes); });
        auto j = slrt::to_json(table);
        if (o->json)
            print_json(j);
        else
            print_text(j);
    });

    auto in = std::make_shared<LaunchInputs>();
    auto* build = cmd->add_subcommand(
        "build", "Write the SLRT that (emulated) GRUB builds for a launch, without launching");
    add_launch_inputs(build, *in);
    build->add_option("--out", o->out, "Output file (the table's `size` bytes)")->required();
    build->add_flag("--json", o->json, "Also print the table as JSON");
    build->callback([o, in] {
        auto bytes = launch::build_slrt(launch_request(*in));
        binary::write_file_atomic(o->out, binary::ByteView(bytes));
        if (o->json) print_json(slrt::to_json(slrt::parse(bytes)));
        progress("wrote " + o->out + " (" + std::to_string(bytes.size()) + " bytes)");
    });
}

}  // namespace drtm::cli
