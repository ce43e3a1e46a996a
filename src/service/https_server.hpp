// The verifier's HTTPS front end (Boost.Beast over Asio and OpenSSL, event
// driven: see https_server.cpp for the threading): TLS 1.3 only,
// and every client authenticates with a certificate from the verifier's own
// CA (mutual TLS). The certificate's OU is the client's role — "agent"
// (acting only for the node named by its CN) or "admin" — and its CN the
// node. Routes are documented in docs/verifier.md.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "service/verifier_service.hpp"

namespace drtm::service {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8443;  // 0: any free port (see HttpsServer::port)
    std::string certificate_file;
    std::string key_file;
    std::string client_ca_file;  // the CA whose certificates may connect
    // Event loops, one thread each, sharing the connections: one per core.
    std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
    // Connections open at once; more are closed as they arrive. An idle
    // TLS connection holds about 40 KiB.
    std::size_t max_connections = 10000;
    std::size_t max_body_bytes = 4 * 1024 * 1024 + 64 * 1024;  // evidence limit + slack
    // A handshake, a request, or the wait for the next request on a kept
    // connection, must finish within this; a response must be written in it.
    int read_timeout_seconds = 10;
    // TLS session resumption: a client that reconnects within this time
    // resumes its session (no certificate exchange); 0 turns it off.
    long session_seconds = 3600;
    // Sessions kept for resumption, about one per client that attests
    // (a resumed connection's new session replaces the old one); the
    // oldest goes first. Each holds its client's certificate: a few KiB.
    std::size_t session_capacity = 250000;
    bool access_log = false;  // one line per request on stderr
};

class HttpsServer {
  public:
    // Throws when the certificate, key or CA cannot be loaded.
    HttpsServer(VerifierService& service, ServerOptions options);
    ~HttpsServer();
    // Binds; returns the port (useful with port 0).
    int bind();
    // Serves until stop() (from another thread or a signal handler's thread).
    void run();
    void stop();
    int port() const { return port_; }
    // TLS sessions kept for resumption now.
    std::size_t tls_sessions() const;

    struct Impl;  // public for the connections it serves (https_server.cpp)

  private:
    std::unique_ptr<Impl> impl_;
    int port_ = 0;
};

}  // namespace drtm::service
