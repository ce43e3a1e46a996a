// drtm verifier: set up and run the attestation verifier service, and
// administer it over HTTPS (nodes, history, policies).
#include <signal.h>

#include <condition_variable>
#include <iostream>
#include <memory>
#include <thread>

#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "crypto/x509.hpp"
#include "service/https_server.hpp"
#include "service/verifier_client.hpp"
#include "service/verifier_directory.hpp"

namespace drtm::cli {

namespace {
struct VerifierOptions {
    std::string dir = "/var/lib/drtm/verifier";
    std::vector<std::string> hosts;
    std::string role = "agent";
    std::string name;
    std::string out;
    std::string listen = "127.0.0.1:8443";
    std::string database;
    std::string ek_roots;
    bool allow_no_ek_certificate = false;
    // Event loops (one thread each) that serve every connection: one per core.
    std::size_t threads = service::ServerOptions{}.threads;
    std::size_t max_connections = service::ServerOptions{}.max_connections;
    std::size_t pool = 8;
    std::size_t record_writers = 1;
    long tls_session_seconds = 3600;
    std::size_t tls_session_capacity = 250000;
    std::int64_t challenge_ttl = 120;
    std::string port_file;
    bool access_log = false;
    std::string url = "https://localhost:8443";
    std::string identity;
    std::string node;
    std::string policy_id;
    std::string file;
    std::int64_t limit = 20;
    bool json = false;
};

service::VerifierDirectory directory(const VerifierOptions& o) {
    return service::VerifierDirectory{o.dir};
}

// Serves until SIGINT or SIGTERM; removes expired challenges every minute.
void serve(const VerifierOptions& o) {
    // Signals go to one waiting thread. Blocked before any thread starts
    // (the service's record writers, the event loops): a thread inherits
    // the mask, and one that did not block them would take SIGTERM's
    // default action, ending the process without a clean stop.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    auto dir = directory(o);
    auto colon = o.listen.rfind(':');
    if (colon == std::string::npos) throw CLI::ValidationError("--listen", "give HOST:PORT");
    service::ServerOptions so;
    so.host = o.listen.substr(0, colon);
    if (so.host.size() > 2 && so.host.front() == '[')
        so.host = so.host.substr(1, so.host.size() - 2);
    so.port = std::stoi(o.listen.substr(colon + 1));
    so.certificate_file = dir.server_certificate();
    so.key_file = dir.server_key();
    so.client_ca_file = dir.ca_certificate();
    so.threads = o.threads;
    so.max_connections = o.max_connections;
    so.access_log = o.access_log;
    so.session_seconds = o.tls_session_seconds;
    so.session_capacity = o.tls_session_capacity;

    service::ServiceOptions opts;
    opts.challenge_ttl_seconds = o.challenge_ttl;
    if (o.record_writers == 0 || o.record_writers > o.pool)
        throw CLI::ValidationError("--record-writers", "give 1 to --db-connections writers");
    opts.record_writers = o.record_writers;
    if (!o.ek_roots.empty())
        opts.enrollment.roots = crypto::pem_certificates(binary::read_text_file(o.ek_roots));
    opts.enrollment.require_certificate = !o.allow_no_ek_certificate;
    if (opts.enrollment.roots.empty() && opts.enrollment.require_certificate)
        throw CLI::ValidationError("--ek-roots",
                                   "give the EK CA certificates to trust (or "
                                   "--allow-no-ek-certificate for a lab without EK certificates)");

    auto url = o.database.empty() ? "sqlite:" + dir.default_database().string() : o.database;
    auto db = service::Database::open(url, o.pool);
    service::VerifierStore store(*db);
    service::VerifierService verifier(store, crypto::EcdsaP256Key::load_private_pem(dir.ear_key()),
                                      service::load_or_create_nonce_key(dir), opts);

    service::HttpsServer server(verifier, so);
    int port = server.bind();
    if (!o.port_file.empty()) binary::write_file_atomic(o.port_file, std::to_string(port) + "\n");
    std::cerr << "drtm verifier: listening on https://" << o.listen.substr(0, colon) << ":" << port
              << " (TLS 1.3, client certificates of " << dir.ca_certificate().string()
              << "; storage " << db->backend() << ", " << store.node_count() << " nodes)\n";

    std::mutex m;
    std::condition_variable cv;
    bool stopping = false;
    std::thread janitor([&] {
        std::unique_lock lock(m);
        while (!cv.wait_for(lock, std::chrono::seconds(60), [&] { return stopping; })) {
            try {
                auto now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
                store.purge_expired(now);
            } catch (const std::exception& e) {
                std::cerr << "drtm verifier: purging expired enrollments: " << e.what() << "\n";
            }
        }
    });
    std::thread waiter([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        std::cerr << "drtm verifier: stopping (signal " << sig << ")\n";
        server.stop();
    });
    server.run();
    {
        std::lock_guard lock(m);
        stopping = true;
    }
    cv.notify_all();
    janitor.join();
    // The waiter returns only on a signal; a server that stopped otherwise
    // (bind lost) sends itself one so the thread can be joined.
    kill(getpid(), SIGTERM);
    waiter.join();
    auto stats = verifier.record_stats();
    std::cerr << "drtm verifier: stored " << stats.records << " attestations in " << stats.batches
              << " transactions (largest batch " << stats.largest_batch << ")\n";
}

service::VerifierClient admin_client(const VerifierOptions& o) {
    auto id = o.identity.empty() ? std::filesystem::path(o.dir) / "admin"
                                 : std::filesystem::path(o.identity);
    return service::VerifierClient(o.url, service::ClientIdentity::in_directory(id));
}

void print_nodes(const nlohmann::json& j) {
    std::cout << j["total"].get<std::int64_t>() << " enrolled\n";
    for (const auto& n : j["nodes"]) {
        std::cout << "  " << n["name"].get<std::string>() << "  policy "
                  << n["policy"].get<std::string>() << "  "
                  << (n["last_status"].get<std::string>().empty()
                          ? std::string("never attested")
                          : n["last_status"].get<std::string>())
                  << "  AK " << n["ak_name"].get<std::string>().substr(0, 16) << "…\n";
    }
}
}  // namespace

void register_verifier(CLI::App& app) {
    auto o = std::make_shared<VerifierOptions>();
    auto* cmd = app.add_subcommand(
        "verifier",
        "Remote attestation verifier service (HTTPS, mutual TLS) and its administration");
    cmd->require_subcommand(1);
    auto add_dir = [o](CLI::App* c) {
        c->add_option("--dir", o->dir, "Verifier directory")->capture_default_str();
    };

    auto* init = cmd->add_subcommand(
        "init",
        "Create the verifier's TLS CA, server certificate, EAR signing key and admin identity");
    add_dir(init);
    init->add_option("--host", o->hosts,
                     "Host name or address the server certificate names (repeatable; "
                     "localhost, 127.0.0.1 and ::1 are always included)");
    init->callback([o] {
        auto dir = directory(*o);
        service::init_verifier_directory(dir, o->hosts);
        service::issue_client_identity(dir, "admin", "admin", dir.root / "admin");
        std::cout << "verifier directory " << dir.root.string() << ":\n  CA "
                  << dir.ca_certificate().string() << "\n  server certificate "
                  << dir.server_certificate().string() << "\n  EAR public key "
                  << dir.ear_public_key().string() << "\n  admin identity "
                  << (dir.root / "admin").string() << "\n";
    });

    auto* client_cert = cmd->add_subcommand(
        "client-cert", "Issue a client identity (CA, certificate, key) for an agent or an admin");
    add_dir(client_cert);
    client_cert->add_option("--role", o->role, "agent or admin")
        ->check(CLI::IsMember({"agent", "admin"}))
        ->capture_default_str();
    client_cert->add_option("--name", o->name, "The node's name (agent) or the admin's")
        ->required();
    client_cert->add_option("--out", o->out, "Directory to write ca.pem, cert.pem, key.pem")
        ->required();
    client_cert->callback([o] {
        service::issue_client_identity(directory(*o), o->role, o->name, o->out);
        std::cout << o->role << " identity for '" << o->name << "' written to " << o->out << "\n";
    });

    auto* serve_cmd =
        cmd->add_subcommand("serve", "Run the verifier over HTTPS until SIGINT/SIGTERM");
    add_dir(serve_cmd);
    serve_cmd->add_option("--listen", o->listen, "HOST:PORT (port 0: any free port)")
        ->capture_default_str();
    serve_cmd->add_option("--database", o->database,
                          "postgresql://… or sqlite:PATH (default: sqlite in --dir)");
    serve_cmd->add_option("--ek-roots", o->ek_roots, "EK CA certificates to trust (PEM bundle)")
        ->check(CLI::ExistingFile);
    serve_cmd->add_flag("--allow-no-ek-certificate", o->allow_no_ek_certificate,
                        "Enroll TPMs without an EK certificate (labs only)");
    serve_cmd
        ->add_option("--threads", o->threads,
                     "Event-loop threads serving the connections (default: one per core)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    serve_cmd
        ->add_option("--max-connections", o->max_connections,
                     "Connections open at once; more are closed as they arrive")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    serve_cmd->add_option("--db-connections", o->pool, "Database connections")
        ->capture_default_str();
    serve_cmd
        ->add_option("--record-writers", o->record_writers,
                     "Attestation batches written at once (group commit; each takes a "
                     "database connection)")
        ->capture_default_str();
    serve_cmd
        ->add_option("--tls-session-seconds", o->tls_session_seconds,
                     "How long a client may resume its TLS session (0: never)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    serve_cmd
        ->add_option("--tls-sessions", o->tls_session_capacity,
                     "TLS sessions kept for resumption, one per agent: set it above the number "
                     "of agents (the oldest go first; each holds the agent's certificate, a "
                     "few KiB)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
    serve_cmd->add_option("--challenge-ttl", o->challenge_ttl, "Seconds a nonce stays valid")
        ->capture_default_str();
    serve_cmd->add_option("--port-file", o->port_file, "Write the listening port here");
    serve_cmd->add_flag("--access-log", o->access_log, "Log every request on stderr");
    serve_cmd->callback([o] { serve(*o); });

    auto add_client = [o, add_dir](CLI::App* c) {
        add_dir(c);
        c->add_option("--url", o->url, "The verifier")->capture_default_str();
        c->add_option("--identity", o->identity, "Admin identity directory (default: DIR/admin)");
        c->add_flag("--json", o->json, "Print the server's JSON");
    };
    auto* nodes = cmd->add_subcommand("nodes", "List enrolled nodes and their last status");
    add_client(nodes);
    nodes->add_option("--limit", o->limit, "At most this many")->capture_default_str();
    nodes->callback([o] {
        auto j = admin_client(*o).get("/v1/nodes?limit=" + std::to_string(o->limit));
        if (o->json) return print_json(j);
        print_nodes(j);
    });

    auto* history = cmd->add_subcommand("history", "A node's attestation history, newest first");
    add_client(history);
    history->add_option("node", o->node, "Node name")->required();
    history->add_option("--limit", o->limit, "At most this many")->capture_default_str();
    history->callback([o] {
        auto j = admin_client(*o).get("/v1/nodes/" + o->node +
                                      "/attestations?limit=" + std::to_string(o->limit));
        if (o->json) return print_json(j);
        for (const auto& a : j["attestations"]) {
            std::cout << a["at_us"].get<std::int64_t>() / 1000000 << "  "
                      << a["status"].get<std::string>();
            for (const auto& f : a["failed"]) std::cout << "  failed:" << f.get<std::string>();
            std::cout << "\n";
        }
    });

    auto* policy = cmd->add_subcommand("policy", "Store an appraisal policy, or list them");
    add_client(policy);
    policy->add_option("file", o->file, "Appraisal policy to store (its id names it)")
        ->check(CLI::ExistingFile);
    policy->callback([o] {
        auto client = admin_client(*o);
        if (o->file.empty()) return print_json(client.get("/v1/policies"));
        auto text = binary::read_text_file(o->file);
        auto id = nlohmann::json::parse(text).value("id", std::string());
        auto j = client.put("/v1/policies/" + id, text);
        if (o->json) return print_json(j);
        std::cout << "policy '" << id << "' stored\n";
    });

    auto* assign = cmd->add_subcommand("assign", "Appraise a node with a stored policy");
    add_client(assign);
    assign->add_option("node", o->node, "Node name")->required();
    assign->add_option("--policy", o->policy_id, "Policy id")->required();
    assign->callback([o] {
        auto j = admin_client(*o).put("/v1/nodes/" + o->node + "/policy",
                                      nlohmann::json{{"policy", o->policy_id}}.dump());
        if (o->json) return print_json(j);
        std::cout << o->node << " is appraised with policy '" << o->policy_id << "'\n";
    });

    auto* remove = cmd->add_subcommand("remove", "Unenroll a node");
    add_client(remove);
    remove->add_option("node", o->node, "Node name")->required();
    remove->callback([o] {
        auto j = admin_client(*o).del("/v1/nodes/" + o->node);
        if (o->json) return print_json(j);
        std::cout << o->node << " removed\n";
    });
}

}  // namespace drtm::cli
