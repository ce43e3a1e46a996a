// The verifier's HTTPS front end (cpp-httplib over OpenSSL): TLS 1.3 only,
// and every client authenticates with a certificate from the verifier's own
// CA (mutual TLS). The certificate's OU is the client's role — "agent"
// (acting only for the node named by its CN) or "admin" — and its CN the
// node. Routes are documented in docs/verifier.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "service/verifier_service.hpp"

namespace drtm::service {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8443;  // 0: any free port (see HttpsServer::port)
    std::string certificate_file;
    std::string key_file;
    std::string client_ca_file;  // the CA whose certificates may connect
    std::size_t threads = 32;    // one per open connection
    std::size_t max_body_bytes = 4 * 1024 * 1024 + 64 * 1024;  // evidence limit + slack
    int read_timeout_seconds = 10;
    // TLS session resumption: a client that reconnects within this time
    // resumes its session (no certificate exchange); 0 turns it off.
    long session_seconds = 3600;
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

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int port_ = 0;
};

}  // namespace drtm::service
