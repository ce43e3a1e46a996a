#include "service/https_server.hpp"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <iostream>

#include "binary/file_io.hpp"
#include "service/tls_session_reuse.hpp"

namespace drtm::service {

namespace {
using nlohmann::json;

struct Caller {
    std::string role;  // "agent", "admin", or empty when the certificate has no known role
    std::string node;  // the certificate's CN
};

std::string name_entry(X509_NAME* name, int nid) {
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) return {};
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len < 0) return {};
    std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

Caller caller_of(const httplib::Request& req) {
    Caller c;
    if (!req.ssl) return c;
    // The handshake already verified the chain to the client CA.
    X509* cert = SSL_get0_peer_certificate(req.ssl);
    if (!cert) return c;
    X509_NAME* subject = X509_get_subject_name(cert);
    c.role = name_entry(subject, NID_organizationalUnitName);
    c.node = name_entry(subject, NID_commonName);
    return c;
}

void send_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

json parse_body(const httplib::Request& req) {
    try {
        return json::parse(req.body);
    } catch (const json::parse_error& e) {
        throw RequestError(400, "offset " + std::to_string(e.byte) + ": the body is not JSON");
    }
}

std::int64_t int_param(const httplib::Request& req, const char* key, std::int64_t fallback) {
    if (!req.has_param(key)) return fallback;
    auto v = req.get_param_value(key);
    try {
        std::size_t used = 0;
        auto n = std::stoll(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        return n;
    } catch (const std::exception&) {
        throw RequestError(400, std::string("'") + key + "' is not a number");
    }
}
}  // namespace

struct HttpsServer::Impl {
    VerifierService& service;
    ServerOptions options;
    std::unique_ptr<httplib::SSLServer> server;
    // Declared after the server: released first, while its SSL_CTX exists.
    std::unique_ptr<TlsSessionStore> sessions;
    int listening_socket = -1;  // captured while httplib sets the socket up

    // Runs one request: authorises the caller, maps errors to statuses.
    template <class F>
    void handle(const httplib::Request& req, httplib::Response& res, const char* need, F&& work) {
        try {
            Caller caller = caller_of(req);
            if (caller.role != "agent" && caller.role != "admin")
                throw RequestError(403, "the client certificate has no drtm role (OU agent/admin)");
            if (std::string(need) == "admin" && caller.role != "admin")
                throw RequestError(403, "this needs the admin credential");
            if (std::string(need) == "node" && caller.role == "agent" &&
                (req.matches.size() < 2 || req.matches[1] != caller.node))
                throw RequestError(403, "an agent certificate for '" + caller.node +
                                            "' cannot act for another node");
            send_json(res, 200, work());
        } catch (const RequestError& e) {
            send_json(res, e.status(), {{"error", e.what()}});
        } catch (const DatabaseError& e) {
            std::cerr << "drtm verifier: storage: " << e.what() << "\n";
            send_json(res, 503, {{"error", "storage unavailable"}});
        } catch (const std::exception& e) {
            std::cerr << "drtm verifier: " << req.method << " " << req.path << ": " << e.what()
                      << "\n";
            send_json(res, 500, {{"error", "internal error"}});
        }
    }

    void routes() {
        const std::string node = "/v1/nodes/([A-Za-z0-9._-]{1,64})";
        auto& s = *server;
        s.Post(node + "/enrollment", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "node",
                   [&] { return service.begin_enrollment(q.matches[1], parse_body(q)); });
        });
        s.Post(node + "/enrollment/answer",
               [this](const httplib::Request& q, httplib::Response& r) {
                   handle(q, r, "node",
                          [&] { return service.finish_enrollment(q.matches[1], parse_body(q)); });
               });
        s.Post(node + "/challenge", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "node", [&] { return service.challenge(q.matches[1]); });
        });
        s.Post(node + "/evidence", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "node", [&] { return service.submit_evidence(q.matches[1], q.body); });
        });
        s.Get(node + "/attestations", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "node",
                   [&] { return service.history(q.matches[1], int_param(q, "limit", 20)); });
        });
        s.Put(node + "/policy", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "admin",
                   [&] { return service.set_node_policy(q.matches[1], parse_body(q)); });
        });
        s.Delete(node, [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "admin", [&] { return service.remove_node(q.matches[1]); });
        });
        s.Get("/v1/nodes", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "admin", [&] {
                return service.nodes(q.has_param("after") ? q.get_param_value("after") : "",
                                     int_param(q, "limit", 100));
            });
        });
        s.Put("/v1/policies/([A-Za-z0-9._-]{1,64})",
              [this](const httplib::Request& q, httplib::Response& r) {
                  handle(q, r, "admin", [&] { return service.put_policy(q.matches[1], q.body); });
              });
        s.Get("/v1/policies", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "admin", [&] { return service.policies(); });
        });
        s.Get("/v1/ear-key", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "any", [&] { return json{{"pem", service.ear_public_key_pem()}}; });
        });
        s.Get("/v1/health", [this](const httplib::Request& q, httplib::Response& r) {
            handle(q, r, "any", [&] {
                auto batches = service.record_stats();
                return json{{"status", "ok"},
                            {"storage", service.store().database().backend()},
                            {"records",
                             {{"stored", batches.records},
                              {"transactions", batches.batches},
                              {"largest_batch", batches.largest_batch}}}};
            });
        });
        // Unknown routes and httplib's own refusals (413 over the size limit,
        // 400 unparsable) get a JSON body too.
        s.set_error_handler([](const httplib::Request&, httplib::Response& r) {
            if (r.body.empty())
                send_json(r, r.status,
                          {{"error", r.status == 413   ? "the request body is over the size limit"
                                     : r.status == 404 ? "no such route"
                                                       : "the request was refused"}});
        });
        if (options.access_log)
            s.set_logger([](const httplib::Request& q, const httplib::Response& r) {
                auto c = caller_of(q);
                std::cerr << c.role << ":" << c.node << " " << q.method << " " << q.path << " "
                          << r.status << "\n";
            });
    }
};

HttpsServer::HttpsServer(VerifierService& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(Impl{service, std::move(options), nullptr, nullptr})) {
    auto& o = impl_->options;
    for (const auto* f : {&o.certificate_file, &o.key_file, &o.client_ca_file})
        if (f->empty() || !std::filesystem::exists(*f))
            throw std::runtime_error("TLS file '" + *f + "' does not exist");
    std::string problem;
    impl_->server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
        // TLS 1.3 only; the client must present a certificate of our CA.
        SSL_CTX_set_min_proto_version(&ctx, TLS1_3_VERSION);
        if (SSL_CTX_use_certificate_chain_file(&ctx, o.certificate_file.c_str()) != 1)
            problem = o.certificate_file + ": not a PEM certificate";
        else if (SSL_CTX_use_PrivateKey_file(&ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
                 SSL_CTX_check_private_key(&ctx) != 1)
            problem = o.key_file + ": not the private key of " + o.certificate_file;
        else if (SSL_CTX_load_verify_locations(&ctx, o.client_ca_file.c_str(), nullptr) != 1)
            problem = o.client_ca_file + ": not a PEM CA certificate";
        if (!problem.empty()) return false;
        SSL_CTX_set_client_CA_list(&ctx, SSL_load_client_CA_file(o.client_ca_file.c_str()));
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        // Resumption. A full handshake costs the server about 3 ms of CPU
        // under OpenSSL 3.0, most of it decoding the client's certificate
        // through the provider decoders (perf); an agent that reconnects
        // within the session lifetime skips the certificate exchange, and its
        // resumed session carries the certificate the full handshake
        // verified, so the caller is known as before. The sessions stay in
        // this process (SSL_OP_NO_TICKET makes TLS 1.3 tickets stateful):
        // a stateless ticket would serialise the session and decode the
        // client certificate again for every ticket issued, which cost a
        // third of the server's CPU when tried.
        SSL_CTX_set_options(&ctx, SSL_OP_NO_TICKET);
        if (o.session_seconds > 0) {
            static const unsigned char context[] = "drtm-verifier";
            SSL_CTX_set_session_id_context(&ctx, context, sizeof context - 1);
            SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_SERVER);
            SSL_CTX_set_timeout(&ctx, o.session_seconds);
            SSL_CTX_set_num_tickets(&ctx, 1);
            impl_->sessions = std::make_unique<TlsSessionStore>(&ctx, 100000);
        } else {
            SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_OFF);
            SSL_CTX_set_num_tickets(&ctx, 0);
        }
        return true;
    });
    if (!problem.empty() || !impl_->server->is_valid())
        throw std::runtime_error(problem.empty() ? "cannot set up TLS" : problem);
    const std::size_t threads = o.threads;
    impl_->server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    impl_->server->set_payload_max_length(o.max_body_bytes);
    // Responses are small and written in pieces: without TCP_NODELAY each
    // request waits out the peer's delayed ACK (~40 ms on Linux).
    impl_->server->set_tcp_nodelay(true);
    // An agent sends two requests per attestation; a long-running one may
    // keep its connection for many (httplib's default closes after 5).
    impl_->server->set_keep_alive_max_count(1000);
    impl_->server->set_socket_options([impl = impl_.get()](socket_t sock) {
        httplib::default_socket_options(sock);
        impl->listening_socket = sock;
    });
    impl_->server->set_read_timeout(o.read_timeout_seconds, 0);
    impl_->server->set_write_timeout(o.read_timeout_seconds, 0);
    impl_->routes();
}

HttpsServer::~HttpsServer() = default;

int HttpsServer::bind() {
    auto& o = impl_->options;
    if (o.port == 0) {
        port_ = impl_->server->bind_to_any_port(o.host);
    } else {
        port_ = impl_->server->bind_to_port(o.host, o.port) ? o.port : -1;
    }
    if (port_ < 0)
        throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port));
    // httplib listens with a backlog of 5. When more agents than that connect
    // at once, the kernel drops their SYNs and each waits out a 1 s
    // retransmission (measured: attestation p99 of 1.05 s with 32 agents).
    // listen() again on the same socket raises the backlog.
    if (impl_->listening_socket >= 0 && ::listen(impl_->listening_socket, SOMAXCONN) != 0) {
        // Not expected of a socket httplib has bound and put in listening
        // state; reported rather than ignored.
        throw std::runtime_error("cannot raise the listen backlog on " + o.host + ":" +
                                 std::to_string(port_));
    }
    return port_;
}

void HttpsServer::run() {
    impl_->server->listen_after_bind();
}

void HttpsServer::stop() {
    impl_->server->stop();
}

}  // namespace drtm::service
