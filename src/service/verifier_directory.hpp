// A verifier's directory, made once by `drtm verifier init`: its TLS CA
// (which also issues the agents' and admins' client certificates), its
// server certificate, the key that signs attestation results, and the
// default SQLite database.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::service {

struct VerifierDirectory {
    std::filesystem::path root;

    std::filesystem::path ca_certificate() const { return root / "tls" / "ca.pem"; }
    std::filesystem::path ca_key() const { return root / "tls" / "ca-key.pem"; }
    std::filesystem::path server_certificate() const { return root / "tls" / "server.pem"; }
    std::filesystem::path server_key() const { return root / "tls" / "server-key.pem"; }
    std::filesystem::path ear_key() const { return root / "ear-signing-key.pem"; }
    std::filesystem::path ear_public_key() const { return root / "ear-signing-key.pub.pem"; }
    std::filesystem::path nonce_key() const { return root / "nonce-key"; }
    std::filesystem::path default_database() const { return root / "verifier.db"; }
};

// Creates the directory's keys and certificates; the server certificate
// names `hosts` (DNS names or IP addresses; localhost/127.0.0.1/::1 always).
// Refuses a directory that already has a CA (re-running must not orphan the
// certificates already issued).
void init_verifier_directory(const VerifierDirectory& dir, const std::vector<std::string>& hosts);

// The secret that authenticates the verifier's nonces (hex, mode 0600),
// made on first use for a directory from before it existed.
binary::Bytes load_or_create_nonce_key(const VerifierDirectory& dir);

// A client identity: `out`/ca.pem (to check the server), cert.pem, key.pem
// (mode 0600). Role "agent" (name = the node) or "admin".
void issue_client_identity(const VerifierDirectory& dir, const std::string& role,
                           const std::string& name, const std::filesystem::path& out);

}  // namespace drtm::service
