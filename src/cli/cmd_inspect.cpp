// drtm inspect: pause a running guest (drtm vm run), copy its kernel's code,
// resume it, and compare the copy with the golden kernel image.
#include <iostream>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "inspect/linux_inspector.hpp"

namespace drtm::cli {

void register_inspect(CLI::App& app) {
    struct Options {
        std::string vm, kernel;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand(
        "inspect",
        "Check a running guest's kernel against its golden image: pause, copy .text and .rodata, "
        "resume, compare (every difference must be a patch site the golden image's tables name). "
        "Exit 0 intact, 2 modified, 1 error");
    cmd->add_option("--vm", o->vm, "The directory of a running `drtm vm run`")->required();
    cmd->add_option("--kernel", o->kernel, "The golden kernel: the bzImage the guest booted")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_flag("--json", o->json, "Print the report as JSON");
    cmd->callback([o] {
        namespace fs = std::filesystem;
        const auto descriptor = fs::path(o->vm) / "vm.json";
        if (!fs::exists(descriptor))
            throw std::runtime_error(descriptor.string() + " not found: is `drtm vm run --dir " +
                                     o->vm + "` running?");
        auto vm = nlohmann::json::parse(binary::read_text_file(descriptor));
        progress("reading the golden kernel " + o->kernel);
        auto bytes = binary::read_file(o->kernel);
        auto golden =
            binary::in_file(o->kernel, [&] { return inspect::LinuxGolden::from_bzimage(bytes); });
        inspect::GuestMemory ram(vm.at("ram_file").get<std::string>(),
                                 vm.at("ram_size").get<std::uint64_t>());
        inspect::QmpClient qmp(vm.at("qmp").get<std::string>());
        auto result = inspect::inspect_linux(*golden, ram, qmp);
        auto report = inspect::to_json(result, *golden);
        if (o->json) {
            print_json(report);
        } else {
            std::cout << "verdict: " << report["verdict"].get<std::string>() << "\n"
                      << "pause window: " << result.pause.window_ms << " ms (stop "
                      << result.pause.stop_ms << ", copy " << result.pause.copy_ms << ", cont "
                      << result.pause.cont_ms << ")\n"
                      << ".text: " << result.text.bytes_compared << " bytes, "
                      << result.text.bytes_differing << " differ, all but "
                      << result.text.bytes_unexplained << " at patch sites ("
                      << golden->sites().size() << " sites)\n"
                      << ".rodata (without ro_after_init): " << result.rodata.bytes_compared
                      << " bytes, " << result.rodata.bytes_unexplained << " differ\n";
            for (const auto* c : {&result.text, &result.rodata})
                for (const auto& r : c->unexplained)
                    std::cout << "  differs at " << r.symbol << ": expected "
                              << binary::to_hex(r.expected) << ", found " << binary::to_hex(r.found)
                              << "\n";
        }
        if (!result.intact()) throw CLI::RuntimeError(2);
    });
}

}  // namespace drtm::cli
