#include "service/verifier_client.hpp"

#include "service/tls_session_reuse.hpp"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <regex>

namespace drtm::service {

namespace {
struct Url {
    std::string host;
    int port = 8443;
};

Url parse_url(const std::string& url) {
    static const std::regex form(
        R"(https://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:([0-9]{1,5}))?/?)");
    std::smatch m;
    if (!std::regex_match(url, m, form))
        throw std::invalid_argument("'" + url +
                                    "' is not https://HOST[:PORT] (only HTTPS is spoken)");
    Url u;
    u.host = m[1];
    if (u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
    if (m[3].matched) u.port = std::stoi(m[3]);
    if (u.port < 1 || u.port > 65535) throw std::invalid_argument("'" + url + "': bad port");
    return u;
}
}  // namespace

ClientIdentity ClientIdentity::in_directory(const std::filesystem::path& dir) {
    return {dir / "ca.pem", dir / "cert.pem", dir / "key.pem"};
}

std::string ClientIdentity::common_name() const {
    std::FILE* f = std::fopen(certificate_file.c_str(), "r");
    if (!f) throw std::runtime_error(certificate_file.string() + ": cannot open");
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (!cert) throw std::runtime_error(certificate_file.string() + ": not a PEM certificate");
    char cn[256] = {0};
    int len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    if (len <= 0) throw std::runtime_error(certificate_file.string() + ": no CN in the subject");
    return std::string(cn, static_cast<std::size_t>(len));
}

struct VerifierClient::Impl {
    std::unique_ptr<httplib::SSLClient> client;
    // After the client: released first, while its SSL_CTX still exists.
    std::unique_ptr<TlsSessionReuse> sessions;
    std::string where;

    nlohmann::json result(const httplib::Result& r, const std::string& path) {
        if (!r)
            throw ClientError(0, where + path + ": " + httplib::to_string(r.error()) +
                                     " (is the verifier running, and does its certificate match "
                                     "this CA and host name?)");
        nlohmann::json body;
        try {
            body = nlohmann::json::parse(r->body);
        } catch (const std::exception&) {
            throw ClientError(r->status, where + path + ": HTTP " + std::to_string(r->status) +
                                             " with a body that is not JSON");
        }
        if (r->status != 200) {
            std::string reason =
                body.is_object() && body.contains("error") && body["error"].is_string()
                    ? body["error"].get<std::string>()
                    : "HTTP " + std::to_string(r->status);
            throw ClientError(r->status, reason);
        }
        return body;
    }
};

VerifierClient::VerifierClient(const std::string& url, const ClientIdentity& id,
                               int timeout_seconds)
    : impl_(std::make_unique<Impl>()) {
    auto u = parse_url(url);
    for (const auto& f : {id.ca_file, id.certificate_file, id.key_file})
        if (!std::filesystem::exists(f)) throw std::runtime_error(f.string() + ": does not exist");
    impl_->where = url;
    impl_->client = std::make_unique<httplib::SSLClient>(
        u.host, u.port, id.certificate_file.string(), id.key_file.string());
    if (!impl_->client->is_valid())
        throw std::runtime_error(id.certificate_file.string() + " / " + id.key_file.string() +
                                 ": not a matching PEM certificate and key");
    SSL_CTX_set_min_proto_version(impl_->client->ssl_context(), TLS1_3_VERSION);
    impl_->client->set_ca_cert_path(id.ca_file.c_str());
    impl_->client->enable_server_certificate_verification(true);
    impl_->client->set_connection_timeout(timeout_seconds, 0);
    impl_->client->set_read_timeout(timeout_seconds, 0);
    impl_->client->set_write_timeout(timeout_seconds, 0);
    impl_->client->set_keep_alive(true);
    impl_->client->set_tcp_nodelay(true);  // no delayed-ACK stall per request
    // A periodic agent reconnects for each attestation (the server closes
    // idle connections after 5 s): it resumes its TLS session instead.
    impl_->sessions = std::make_unique<TlsSessionReuse>(impl_->client->ssl_context());
}

std::size_t VerifierClient::resumed_handshakes() const {
    return impl_->sessions->resumed_handshakes();
}

void VerifierClient::disconnect() {
    impl_->client->stop();
}

VerifierClient::~VerifierClient() = default;

nlohmann::json VerifierClient::get(const std::string& path) {
    return impl_->result(impl_->client->Get(path.c_str()), path);
}
nlohmann::json VerifierClient::post(const std::string& path, const std::string& body) {
    return impl_->result(impl_->client->Post(path.c_str(), body, "application/json"), path);
}
nlohmann::json VerifierClient::put(const std::string& path, const std::string& body) {
    return impl_->result(impl_->client->Put(path.c_str(), body, "application/json"), path);
}
nlohmann::json VerifierClient::del(const std::string& path) {
    return impl_->result(impl_->client->Delete(path.c_str()), path);
}

}  // namespace drtm::service
