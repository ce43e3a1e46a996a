// The HTTPS client agents and administrators use: TLS 1.3, the server
// checked against the verifier's CA and host name, and the caller's own
// certificate presented (mutual TLS).
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "service/status_error.hpp"

namespace drtm::service {

struct ClientIdentity {
    std::filesystem::path ca_file;
    std::filesystem::path certificate_file;
    std::filesystem::path key_file;
    // ca.pem, cert.pem, key.pem in `dir` (what `drtm verifier client-cert` writes).
    static ClientIdentity in_directory(const std::filesystem::path& dir);
    // The CN of the client certificate: the node an agent acts for.
    std::string common_name() const;
};

class VerifierClient {
  public:
    // `url`: https://HOST[:PORT] (default port 8443).
    VerifierClient(const std::string& url, const ClientIdentity& identity,
                   int timeout_seconds = 30);
    ~VerifierClient();

    nlohmann::json get(const std::string& path);
    nlohmann::json post(const std::string& path, const std::string& body);
    nlohmann::json put(const std::string& path, const std::string& body);
    nlohmann::json del(const std::string& path);

    // Closes the connection (the next request opens one, resuming the TLS
    // session). A periodic agent calls it before it sleeps: the verifier
    // serves each open connection with a thread of its own, so a connection
    // left idle until the server's 5 s keep-alive timeout holds a thread
    // another agent could use.
    void disconnect();

    // Connections that resumed an earlier TLS session of this client.
    std::size_t resumed_handshakes() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace drtm::service
