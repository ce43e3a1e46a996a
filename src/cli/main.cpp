// drtm: launch integrity built on dynamic launch (TrenchBoot), in one command.
#include <csignal>
#include <iostream>

#include "binary/error.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
    // A peer that hangs up (HTTPS client or server) must surface as an error
    // on that connection, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{
        "drtm - dynamic launch (DRTM) integrity: emulate or inspect a TrenchBoot launch,\n"
        "predict launches, seal secrets to approved launches, attest them remotely, and\n"
        "read, replay and verify DRTM event logs, SLRTs and boot images."};
    app.set_version_flag("--version", "drtm 0.1.0");
    app.require_subcommand(1);
    app.footer("Run 'drtm COMMAND --help' for a command's options. See docs/cli.md.");
    drtm::cli::register_launch(app);
    drtm::cli::register_predict(app);
    drtm::cli::register_seal(app);
    drtm::cli::register_authorize(app);
    drtm::cli::register_attest(app);
    drtm::cli::register_update(app);
    drtm::cli::register_verifier(app);
    drtm::cli::register_agent(app);
    drtm::cli::register_vm(app);
    drtm::cli::register_inspect(app);
    drtm::cli::register_txt(app);
    drtm::cli::register_log(app);
    drtm::cli::register_pcr(app);
    drtm::cli::register_slrt(app);
    drtm::cli::register_image(app);
    drtm::cli::register_platform(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const drtm::binary::ParseError& e) {
        // Commands rethrow parse errors prefixed with the file name.
        std::cerr << "drtm: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "drtm: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
