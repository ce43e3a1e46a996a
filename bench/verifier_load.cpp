// Load generator for `drtm verifier serve`: enrolls N nodes (software AKs,
// straight into the verifier's database), issues each an agent certificate,
// then drives attestations over HTTPS from C concurrent simulated agents for
// a fixed time. Every attestation is what a real agent does: a new TLS 1.3
// connection with the node's client certificate, a challenge (on a kept
// connection, the previous result's next_challenge instead), and evidence
// whose quote is TPM-format bytes (TPMS_ATTEST + TPMT_SIGNATURE, signed by
// the node's software AK) over the template evidence's PCRs and DRTM log.
//
//   verifier_load prepare --dir VDIR --database URL --nodes N --template EVIDENCE --certs OUT
//   verifier_load run --url URL --certs OUT --template EVIDENCE --clients C --seconds S
//
// `run` prints one JSON line: attestations/s, the evidence request's
// p50/p99 latency (verify + store, as the agent sees it) and the whole
// attestation's (handshake + challenge + evidence), and any failures.
#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "attest/software_attester.hpp"
#include "binary/bytes.hpp"
#include "binary/file_io.hpp"
#include "crypto/x509.hpp"
#include "service/tls_session_reuse.hpp"
#include "service/verifier_directory.hpp"
#include "service/verifier_store.hpp"

using namespace drtm;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {
// What one simulated node needs: its AK (private, in software) and its TLS identity.
struct SimNode {
    std::string name;
    std::string ak_pem;  // the software AK's private key (PKCS#8)
    std::string cert_pem;
    std::string key_pem;
};

int prepare(const std::string& dir, const std::vector<std::string>& databases, int nodes,
            const std::string& template_file, const std::string& out) {
    service::VerifierDirectory vdir{dir};
    auto evidence = attest::parse_evidence(binary::read_text_file(template_file));
    std::vector<std::unique_ptr<service::Database>> dbs;
    std::vector<std::unique_ptr<service::VerifierStore>> stores;
    for (const auto& url : databases) {
        dbs.push_back(service::Database::open(url, 2));
        stores.push_back(std::make_unique<service::VerifierStore>(*dbs.back()));
    }
    // A policy with the template's launch as the reference, for every node.
    nlohmann::json ref;
    for (const auto& [pcr, value] : evidence.pcrs.at(crypto::HashAlg::sha256))
        ref[std::to_string(pcr)] = binary::to_hex(value);
    nlohmann::json policy = {{"format", "drtm-appraisal-policy"},
                             {"version", 1},
                             {"id", "bench"},
                             {"reference_values", {ref}}};
    for (auto& store : stores) store->put_policy({"bench", policy.dump(), 0});
    auto ca_certs = crypto::pem_certificates(binary::read_text_file(vdir.ca_certificate()));
    crypto::CertificateAuthority ca{binary::read_text_file(vdir.ca_key()), ca_certs.at(0)};
    fs::create_directories(out);
    nlohmann::json all = nlohmann::json::array();
    std::vector<service::NodeRecord> batch;
    auto t0 = Clock::now();
    for (int i = 0; i < nodes; ++i) {
        auto ak_key = crypto::EcdsaP256Key::generate().private_pem();
        auto ak = attest::SoftwareAttester::from_private_pem(ak_key);
        crypto::TlsCertificateRequest r;
        r.common_name = "node-" + std::to_string(i);
        r.unit = "agent";
        auto id = crypto::issue_tls_identity(ca, r);
        service::NodeRecord n;
        n.name = r.common_name;
        n.ak_name = ak.ak_name();
        n.ak_public = ak.ak_public();
        n.ek_name = binary::Bytes(34, 0);
        n.policy_id = "bench";
        batch.push_back(n);
        all.push_back(
            {{"name", n.name}, {"ak", ak_key}, {"cert", id.certificate_pem}, {"key", id.key_pem}});
        if (batch.size() == 5000 || i + 1 == nodes) {
            for (auto& store : stores) store->enroll_all(batch);
            batch.clear();
            std::cerr << "\rprepared " << i + 1 << "/" << nodes << std::flush;
        }
    }
    // Re-enrollment keeps an earlier policy assignment; make sure it is ours.
    for (auto& db : dbs)
        db->with_connection([](service::Connection& c) {
            c.execute("UPDATE nodes SET policy_id = $1", {"bench"});
        });
    binary::write_file_atomic(fs::path(out) / "nodes.json", std::string_view(all.dump()), 0600);
    binary::write_file_atomic(fs::path(out) / "ca.pem",
                              std::string_view(binary::read_text_file(vdir.ca_certificate())));
    std::cerr << "\nprepared " << nodes << " nodes in "
              << std::chrono::duration<double>(Clock::now() - t0).count() << " s ("
              << stores.at(0)->node_count() << " enrolled in each database)\n";
    return 0;
}

double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(u.ru_utime) + seconds(u.ru_stime);
}

// CPU seconds a process has used (all its threads), from /proc; with
// `and_children`, plus what its children used: the live ones (PostgreSQL's
// backends and helpers under its postmaster) and, through its cutime and
// cstime, those it has reaped, so a backend that exits within the window
// still counts. 0 for pid 0 or a gone process.
double cpu_seconds_of(int pid, bool and_children) {
    if (pid <= 0) return 0;
    static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    // Fields after the command (which may hold spaces) in /proc/PID/stat:
    // state (3rd field) ppid (4th) ... utime (14th) stime (15th) cutime
    // (16th) cstime (17th). Returns utime + stime, and the reaped
    // children's in `reaped`.
    auto read_stat = [](const fs::path& file, int& ppid, double& reaped) -> double {
        std::ifstream in(file);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto close = text.rfind(')');
        if (close == std::string::npos) return -1;
        std::istringstream rest(text.substr(close + 2));
        std::string state;
        long long v = 0, own = 0, children = 0;
        rest >> state >> ppid;
        for (int field = 5; field <= 17 && rest; ++field) {
            rest >> v;
            if (field == 14 || field == 15) own += v;
            if (field == 16 || field == 17) children += v;
        }
        reaped = static_cast<double>(children) / ticks;
        return static_cast<double>(own) / ticks;
    };
    int ppid = 0;
    double reaped = 0;
    double total =
        std::max(0.0, read_stat(fs::path("/proc") / std::to_string(pid) / "stat", ppid, reaped));
    if (!and_children) return total;
    total += reaped;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(),
                                         [](unsigned char c) { return std::isdigit(c) != 0; }))
            continue;
        double ignored = 0;
        double used = read_stat(entry.path() / "stat", ppid, ignored);
        if (used > 0 && ppid == pid) total += used;
    }
    return total;
}

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

int run(const std::string& url, const std::string& certs, const std::string& template_file,
        int clients, double seconds, int per_connection, bool resume, bool warm_up, int server_pid,
        int postgres_pid) {
    auto host_port = url.substr(std::string("https://").size());
    auto colon = host_port.rfind(':');
    const std::string host = host_port.substr(0, colon);
    const int port = std::stoi(host_port.substr(colon + 1));
    auto evidence = attest::parse_evidence(binary::read_text_file(template_file));
    auto nodes_json = nlohmann::json::parse(binary::read_text_file(fs::path(certs) / "nodes.json"));
    struct Node {
        Node(std::string n, attest::SoftwareAttester a, X509* c, EVP_PKEY* k)
            : name(std::move(n)), ak(std::move(a)), cert(c), key(k) {}
        std::string name;
        attest::SoftwareAttester ak;
        X509* cert;
        EVP_PKEY* key;
        std::atomic<std::uint64_t> clock{1};
        std::mutex busy;  // one attestation per node at a time, as a real agent
        // Kept across connections, as an agent process keeps its TLS context:
        // building it (certificate, key, CA file) per connection cost the
        // load generator a quarter of its CPU, which the server then lacked.
        std::unique_ptr<httplib::SSLClient> client;
        // With --resume: the node's TLS session, offered on each new connection.
        std::unique_ptr<service::TlsSessionReuse> sessions;
    };
    std::vector<std::unique_ptr<Node>> nodes;
    for (const auto& j : nodes_json) {
        auto pem = [](const std::string& text) {
            return std::unique_ptr<BIO, decltype(&BIO_free)>(
                BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
        };
        // BIO_new_mem_buf does not copy: the texts must outlive the reads.
        const std::string cert_text = j["cert"].get<std::string>();
        const std::string key_text = j["key"].get<std::string>();
        auto cb = pem(cert_text);
        auto kb = pem(key_text);
        auto node = std::make_unique<Node>(
            j["name"].get<std::string>(),
            attest::SoftwareAttester::from_private_pem(j["ak"].get<std::string>()),
            PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr),
            PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
        if (!node->cert || !node->key)
            throw std::runtime_error(node->name + ": unreadable certificate or key in nodes.json");
        nodes.push_back(std::move(node));
    }
    // By path: with a CA store instead, httplib also loads the system's
    // default CA bundle into it for every connection.
    const std::string ca = (fs::path(certs) / "ca.pem").string();
    std::mutex m;
    std::vector<double> evidence_ms, total_ms;
    std::map<std::string, int> outcomes;
    std::atomic<bool> stop{false};
    // The node's client: kept across connections, as an agent process keeps
    // its TLS context.
    auto client_of = [&](Node& n) -> httplib::SSLClient& {
        if (!n.client) {
            n.client = std::make_unique<httplib::SSLClient>(host, port, n.cert, n.key);
            SSL_CTX_set_min_proto_version(n.client->ssl_context(), TLS1_3_VERSION);
            n.client->set_ca_cert_path(ca.c_str());
            n.client->enable_server_certificate_verification(true);
            n.client->set_keep_alive(true);
            n.client->set_tcp_nodelay(true);
            if (resume)
                n.sessions = std::make_unique<service::TlsSessionReuse>(n.client->ssl_context());
        }
        return *n.client;
    };
    if (warm_up) {
        // Steady state of a fleet: every node has attested before, so it
        // holds a session from its first, full handshake. That handshake is
        // made here, before the timed window, and not counted.
        std::atomic<std::size_t> next{0}, refused{0};
        std::vector<std::thread> warmers;
        for (int i = 0; i < clients; ++i)
            warmers.emplace_back([&] {
                for (std::size_t k; (k = next++) < nodes.size();) {
                    auto& c = client_of(*nodes[k]);
                    auto r = c.Get("/v1/health");
                    if (!r || r->status != 200) ++refused;
                    c.stop();
                }
            });
        for (auto& t : warmers) t.join();
        if (refused > 0)
            throw std::runtime_error(std::to_string(refused.load()) +
                                     " nodes could not connect during the warm-up");
    }
    auto worker = [&](int seed) {
        std::mt19937_64 rng(static_cast<std::uint64_t>(seed) * 7919 + 1);
        std::vector<double> my_e, my_t;
        std::map<std::string, int> my_o;
        while (!stop) {
            auto& n = *nodes[rng() % nodes.size()];
            std::unique_lock node_lock(n.busy, std::try_to_lock);
            if (!node_lock) continue;
            auto t0 = Clock::now();
            auto& c = client_of(n);
            // Closed after `per_connection` attestations: the next one opens a
            // new connection, resuming the node's session with --resume.
            struct CloseAfter {
                httplib::SSLClient& c;
                ~CloseAfter() { c.stop(); }
            } close_after{c};
            // `per_connection` attestations on one TLS connection (1: a new
            // handshake for each, as an agent that attests every few minutes).
            // After the first, each quote answers the next_challenge the
            // previous result carried: one request per attestation.
            binary::Bytes nonce;
            for (int k = 0; k < per_connection && !stop; ++k) {
                if (k > 0) t0 = Clock::now();
                if (nonce.empty()) {
                    auto ch = c.Post(("/v1/nodes/" + n.name + "/challenge").c_str(), "{}",
                                     "application/json");
                    if (!ch || ch->status != 200) {
                        ++my_o[ch ? "challenge HTTP " + std::to_string(ch->status)
                                  : "challenge: " + httplib::to_string(ch.error())];
                        break;
                    }
                    nonce = binary::from_hex(
                        nlohmann::json::parse(ch->body)["nonce"].get<std::string>());
                }
                attest::ClockInfo clock{n.clock.fetch_add(1000), 1, 0, true};
                auto body = attest::serialize(
                    n.ak.evidence(n.name, nonce, evidence.pcrs, evidence.eventlog, clock));
                auto t1 = Clock::now();
                auto ev =
                    c.Post(("/v1/nodes/" + n.name + "/evidence").c_str(), body, "application/json");
                auto t2 = Clock::now();
                if (!ev || ev->status != 200) {
                    ++my_o[ev ? "evidence HTTP " + std::to_string(ev->status)
                              : "evidence: " + httplib::to_string(ev.error())];
                    break;
                }
                auto result = nlohmann::json::parse(ev->body);
                ++my_o[result["status"].get<std::string>()];
                nonce = binary::from_hex(result["next_challenge"]["nonce"].get<std::string>());
                if (stop) break;  // only attestations completed within the window count
                my_e.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
                my_t.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
            }
        }
        std::lock_guard lock(m);
        evidence_ms.insert(evidence_ms.end(), my_e.begin(), my_e.end());
        total_ms.insert(total_ms.end(), my_t.begin(), my_t.end());
        for (auto& [k, v] : my_o) outcomes[k] += v;
    };
    // Full and resumed handshakes so far, over all nodes.
    auto handshakes = [&] {
        std::pair<std::size_t, std::size_t> counts{0, 0};
        for (const auto& n : nodes)
            if (n->sessions) {
                counts.first += n->sessions->full_handshakes();
                counts.second += n->sessions->resumed_handshakes();
            }
        return counts;
    };
    const auto handshakes_before = handshakes();  // the warm-up's are not counted
    std::vector<std::thread> threads;
    // The generator's own CPU over the window: it shares the machine with
    // the server, so it is part of the budget the figures are measured in.
    const double cpu_before = process_cpu_seconds();
    const double server_before = cpu_seconds_of(server_pid, false);
    const double postgres_before = cpu_seconds_of(postgres_pid, true);
    auto start = Clock::now();
    for (int i = 0; i < clients; ++i) threads.emplace_back(worker, i);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto& t : threads) t.join();
    const double cpu_used = process_cpu_seconds() - cpu_before;
    const double server_used = cpu_seconds_of(server_pid, false) - server_before;
    const double postgres_used = cpu_seconds_of(postgres_pid, true) - postgres_before;
    const double done = static_cast<double>(evidence_ms.size());
    const auto handshakes_after = handshakes();
    const std::size_t full = handshakes_after.first - handshakes_before.first;
    const std::size_t resumed = handshakes_after.second - handshakes_before.second;
    nlohmann::json out = {
        {"nodes", nodes.size()},
        {"clients", clients},
        {"attestations_per_connection", per_connection},
        {"resume", resume},
        {"warm_up", warm_up},
        {"full_handshakes", full},
        {"resumed_handshakes", resumed},
        {"seconds", elapsed},
        {"attestations", evidence_ms.size()},
        {"per_second", done / elapsed},
        {"evidence_p50_ms", percentile(evidence_ms, 0.50)},
        {"evidence_p99_ms", percentile(evidence_ms, 0.99)},
        {"attestation_p50_ms", percentile(total_ms, 0.50)},
        {"attestation_p99_ms", percentile(total_ms, 0.99)},
        {"load_cpu_ms_per_attestation", done > 0 ? cpu_used * 1000 / done : 0},
        {"server_cpu_ms_per_attestation", done > 0 ? server_used * 1000 / done : 0},
        {"postgresql_cpu_ms_per_attestation", done > 0 ? postgres_used * 1000 / done : 0},
        {"outcomes", outcomes}};
    std::cout << out.dump() << std::endl;
    for (auto& n : nodes) {
        X509_free(n->cert);
        EVP_PKEY_free(n->key);
    }
    return outcomes.size() == 1 && outcomes.count("affirming") ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv) {
    // A connection the server closed (over its limit, or at shutdown) is
    // an error of that attestation, not the end of the load generator.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"Load generator for drtm verifier serve"};
    app.require_subcommand(1);
    std::string dir, template_file, certs, url;
    std::vector<std::string> databases;
    int nodes = 1000, clients = 8;
    double seconds = 10;
    int per_connection = 1;
    auto* p = app.add_subcommand("prepare", "Enroll N software nodes and issue their certificates");
    p->add_option("--dir", dir, "Verifier directory")->required();
    p->add_option("--database", databases, "A verifier database URL (repeatable)")->required();
    p->add_option("--nodes", nodes)->required();
    p->add_option("--template", template_file, "Evidence whose PCRs and log to reuse")->required();
    p->add_option("--certs", certs, "Output directory")->required();
    auto* r = app.add_subcommand("run", "Drive attestations for a fixed time");
    r->add_option("--url", url, "https://HOST:PORT")->required();
    r->add_option("--certs", certs)->required();
    r->add_option("--template", template_file)->required();
    r->add_option("--clients", clients, "Concurrent agents")->capture_default_str();
    r->add_option("--seconds", seconds)->capture_default_str();
    r->add_option("--per-connection", per_connection,
                  "Attestations per TLS connection (1: a handshake each)")
        ->capture_default_str();
    bool resume = false;
    r->add_flag("--resume", resume,
                "Each node resumes its TLS session on a new connection (a periodic agent)");
    bool warm_up = false;
    r->add_flag("--warm-up", warm_up,
                "Before the timed window, every node makes its first (full) handshake: the "
                "steady state of a fleet whose agents have attested before");
    int server_pid = 0, postgres_pid = 0;
    r->add_option("--server-pid", server_pid,
                  "Report this process's CPU per attestation over the timed window");
    r->add_option("--postgres-pid", postgres_pid,
                  "Report the CPU of this postmaster and its children over the timed window");
    CLI11_PARSE(app, argc, argv);
    std::signal(SIGPIPE, SIG_IGN);  // a connection the server closed is an outcome, not a crash
    try {
        if (*p) return prepare(dir, databases, nodes, template_file, certs);
        return run(url, certs, template_file, clients, seconds, per_connection, resume, warm_up,
                   server_pid, postgres_pid);
    } catch (const std::exception& e) {
        std::cerr << "verifier_load: " << e.what() << "\n";
        return 1;
    }
}
