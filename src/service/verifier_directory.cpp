#include "service/verifier_directory.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "binary/file_io.hpp"
#include "crypto/ecdsa_key.hpp"
#include "crypto/random.hpp"
#include "crypto/x509.hpp"
#include "service/verifier_service.hpp"

namespace drtm::service {

namespace {
namespace fs = std::filesystem;

bool is_ip_address(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

void write_private(const fs::path& p, const std::string& text) {
    binary::write_file_atomic(p, std::string_view(text), 0600);
}

crypto::CertificateAuthority load_ca(const VerifierDirectory& dir) {
    if (!fs::exists(dir.ca_key()))
        throw std::runtime_error(dir.root.string() +
                                 ": not a verifier directory (run `drtm verifier init` first)");
    auto certs = crypto::pem_certificates(binary::read_text_file(dir.ca_certificate()));
    return {binary::read_text_file(dir.ca_key()), certs.at(0)};
}
}  // namespace

void init_verifier_directory(const VerifierDirectory& dir, const std::vector<std::string>& hosts) {
    if (fs::exists(dir.ca_key()))
        throw std::runtime_error(dir.root.string() +
                                 ": already has a verifier CA; not replacing it");
    fs::create_directories(dir.root / "tls");
    fs::permissions(dir.root, fs::perms::owner_all, fs::perm_options::replace);
    auto ca = crypto::make_certificate_authority("drtm verifier CA", "drtm verifier");
    crypto::TlsCertificateRequest server;
    server.common_name = hosts.empty() ? "localhost" : hosts.front();
    server.server = true;
    server.dns_names = {"localhost"};
    server.ip_addresses = {"127.0.0.1", "::1"};
    for (const auto& h : hosts) {
        auto& list = is_ip_address(h) ? server.ip_addresses : server.dns_names;
        if (std::find(list.begin(), list.end(), h) == list.end()) list.push_back(h);
    }
    auto identity = crypto::issue_tls_identity(ca, server);
    write_private(dir.server_key(), identity.key_pem);
    binary::write_file_atomic(dir.server_certificate(), std::string_view(identity.certificate_pem));
    auto ear = crypto::EcdsaP256Key::generate();
    ear.save_private_pem(dir.ear_key());
    binary::write_file_atomic(dir.ear_public_key(), std::string_view(ear.public_pem()));
    binary::write_file_atomic(dir.ca_certificate(),
                              std::string_view(crypto::der_to_pem(ca.certificate_der)));
    load_or_create_nonce_key(dir);
    // The CA key last: its presence marks the directory as complete.
    write_private(dir.ca_key(), ca.key_pem);
}

binary::Bytes load_or_create_nonce_key(const VerifierDirectory& dir) {
    if (!fs::exists(dir.nonce_key())) {
        // Written aside, then linked into place: link() fails if another
        // verifier process made the key first, and then both use that one.
        const auto mine = dir.nonce_key().string() + "." + std::to_string(::getpid());
        write_private(mine, binary::to_hex(crypto::random_bytes(32)) + "\n");
        const int rc = ::link(mine.c_str(), dir.nonce_key().c_str());
        const int e = errno;
        fs::remove(mine);
        if (rc != 0 && e != EEXIST)
            throw std::runtime_error("cannot create " + dir.nonce_key().string() + ": " +
                                     std::strerror(e));
    }
    auto text = binary::read_text_file(dir.nonce_key());
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    binary::Bytes key;
    try {
        key = binary::from_hex(text);
    } catch (const std::exception& e) {
        throw std::runtime_error(dir.nonce_key().string() + ": " + e.what());
    }
    if (key.size() < 32)
        throw std::runtime_error(dir.nonce_key().string() +
                                 ": the nonce key must be at least 32 bytes (64 hex digits)");
    return key;
}

void issue_client_identity(const VerifierDirectory& dir, const std::string& role,
                           const std::string& name, const fs::path& out) {
    if (role != "agent" && role != "admin")
        throw std::invalid_argument("role must be agent or admin, not '" + role + "'");
    if (!valid_name(name))
        throw std::invalid_argument("name must be 1-64 characters of A-Z a-z 0-9 . _ -");
    auto ca = load_ca(dir);
    crypto::TlsCertificateRequest request;
    request.common_name = name;
    request.unit = role;
    auto identity = crypto::issue_tls_identity(ca, request);
    fs::create_directories(out);
    write_private(out / "key.pem", identity.key_pem);
    binary::write_file_atomic(out / "cert.pem", std::string_view(identity.certificate_pem));
    binary::write_file_atomic(out / "ca.pem",
                              std::string_view(binary::read_text_file(dir.ca_certificate())));
}

}  // namespace drtm::service
