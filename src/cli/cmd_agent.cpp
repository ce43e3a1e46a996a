// drtm agent: the attester's side of the verifier service — enroll this
// node's TPM, then attest its DRTM launch once or periodically.
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include "attest/attester_keys.hpp"
#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/running_log_input.hpp"
#include "service/agent.hpp"

namespace drtm::cli {

namespace {
struct AgentOptions {
    std::string url;
    std::string identity = "/etc/drtm/agent";
    std::string tcti = "device:/dev/tpmrm0";
    std::string keys;
    std::string log;  // "": the running system's
    std::string banks;
    double interval = 0;
    std::int64_t count = 0;
    bool json = false;
};

volatile std::sig_atomic_t stop_requested = 0;
}  // namespace

void register_agent(CLI::App& app) {
    auto o = std::make_shared<AgentOptions>();
    auto* cmd = app.add_subcommand("agent", "Attester: enroll with a verifier and attest to it");
    cmd->require_subcommand(1);
    auto common = [o](CLI::App* c) {
        c->add_option("--verifier", o->url, "The verifier, https://HOST[:PORT]")->required();
        c->add_option("--identity", o->identity,
                      "Client identity directory (ca.pem, cert.pem, key.pem from "
                      "`drtm verifier client-cert`); its CN is the node's name")
            ->capture_default_str();
        c->add_option("--tcti", o->tcti, "TPM")->capture_default_str();
        c->add_option("--keys", o->keys, "Key file from `drtm attest keys`")
            ->required()
            ->check(CLI::ExistingFile);
        c->add_flag("--json", o->json, "Print the server's JSON");
    };

    auto* enroll = cmd->add_subcommand(
        "enroll", "Register this TPM's EK and AK; prove they share a TPM (ActivateCredential)");
    common(enroll);
    enroll->callback([o] {
        auto id = service::ClientIdentity::in_directory(o->identity);
        auto node = id.common_name();
        service::VerifierClient client(o->url, id);
        auto keys = attest::load_attester_keys(o->keys);
        tpm::Tpm t(o->tcti);
        auto j = service::enroll_node(client, node, t, keys);
        if (o->json) return print_json(j);
        std::cout << "enrolled '" << node << "' (AK " << j["ak_name"].get<std::string>() << ")\n";
    });

    auto* attest = cmd->add_subcommand(
        "attest",
        "Quote the DRTM PCRs for the verifier's nonce; exit 0 affirming, 2 warning, 1 "
        "contraindicated (of the last attestation)");
    common(attest);
    attest->add_option(
        "--log", o->log,
        "DRTM event log (default: the running system's, as `drtm log read` finds it)");
    attest->add_option("--banks", o->banks, "PCR banks to quote (default: every allocated bank)");
    attest
        ->add_option("--interval", o->interval,
                     "Attest every this many seconds until SIGINT/SIGTERM (0: once)")
        ->check(CLI::NonNegativeNumber);
    attest->add_option("--count", o->count, "With --interval: stop after this many");
    attest->callback([o] {
        auto id = service::ClientIdentity::in_directory(o->identity);
        auto node = id.common_name();
        service::VerifierClient client(o->url, id);
        auto keys = attest::load_attester_keys(o->keys);
        attest::CollectOptions opts;
        if (!o->banks.empty()) opts.banks = parse_bank_list(o->banks);
        std::signal(SIGINT, [](int) { stop_requested = 1; });
        std::signal(SIGTERM, [](int) { stop_requested = 1; });
        std::string status;
        for (std::int64_t done = 0; !stop_requested;) {
            try {
                auto log = log_bytes_or_running(o->log);
                tpm::Tpm t(o->tcti);  // not held between rounds: others may use the TPM
                auto j = service::attest_node(client, node, t, keys, log, opts);
                status = j["status"].get<std::string>();
                if (o->json) {
                    print_json(j);
                } else {
                    std::cout << node << ": " << status;
                    for (const auto& f : j["failed"])
                        std::cout << "  failed:" << f.get<std::string>();
                    std::cout << std::endl;
                }
            } catch (const std::exception& e) {
                // Periodic agents keep going through a verifier restart.
                if (o->interval <= 0) throw;
                std::cerr << "drtm agent: " << e.what() << "\n";
                status = "error";
            }
            ++done;
            if (o->interval <= 0 || (o->count > 0 && done >= o->count)) break;
            client.disconnect();  // the next round resumes its TLS session
            for (double waited = 0; waited < o->interval && !stop_requested; waited += 0.1)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (status == "warning") throw CLI::RuntimeError(2);
        if (status != "affirming") throw CLI::RuntimeError(1);
    });
}

}  // namespace drtm::cli
