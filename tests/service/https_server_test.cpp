// The HTTPS front end over loopback: TLS 1.3 only, client certificates of
// the verifier's CA only, roles enforced (an agent acts for its own node
// only; admin routes need the admin identity), and malformed or oversized
// requests refused with a JSON reason. Quotes come from a software attester.
#include "service/https_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "attest/software_attester.hpp"
#include "binary/bytes.hpp"
#include "crypto/x509.hpp"
#include "service/tls_session_reuse.hpp"
#include "service/verifier_client.hpp"
#include "service/verifier_directory.hpp"
#include "support/synthetic_launch.hpp"

using namespace drtm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
class HttpsServerTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        // As drtm's main() does: a client writing to a connection the server
        // closed gets EPIPE, not a signal that ends the process.
        std::signal(SIGPIPE, SIG_IGN);
        root = fs::temp_directory_path() / ("drtm-https-" + std::to_string(::getpid()));
        fs::remove_all(root);
        dir = std::make_unique<service::VerifierDirectory>(service::VerifierDirectory{root / "v"});
        service::init_verifier_directory(*dir, {});
        service::issue_client_identity(*dir, "admin", "admin", root / "admin");
        service::issue_client_identity(*dir, "agent", "n1", root / "n1");
        service::issue_client_identity(*dir, "agent", "n2", root / "n2");
        // A look-alike CA with the same names: its certificates must not get in.
        service::VerifierDirectory other{root / "other"};
        service::init_verifier_directory(other, {});
        service::issue_client_identity(other, "admin", "admin", root / "forged-admin");

        db = service::Database::open("sqlite:" + (root / "v.db").string(), 4);
        store = std::make_unique<service::VerifierStore>(*db);
        verifier = std::make_unique<service::VerifierService>(
            *store, crypto::EcdsaP256Key::load_private_pem(dir->ear_key()),
            service::load_or_create_nonce_key(*dir), service::ServiceOptions{});
        server = std::make_unique<service::HttpsServer>(*verifier, server_options(4));
        port = server->bind();
        thread = std::thread([] { server->run(); });
        ak = std::make_unique<attest::SoftwareAttester>(attest::SoftwareAttester::generate());
        service::NodeRecord n;
        n.name = "n1";
        n.ak_name = ak->ak_name();
        n.ak_public = ak->ak_public();
        store->enroll(n);
    }
    static void TearDownTestSuite() {
        server->stop();
        thread.join();
        server.reset();
        verifier.reset();
        store.reset();
        db.reset();
        fs::remove_all(root);
    }
    // Any free port, the verifier directory's TLS files.
    static service::ServerOptions server_options(std::size_t threads) {
        service::ServerOptions o;
        o.port = 0;
        o.certificate_file = dir->server_certificate();
        o.key_file = dir->server_key();
        o.client_ca_file = dir->ca_certificate();
        o.threads = threads;
        return o;
    }
    static std::string url() { return "https://localhost:" + std::to_string(port); }
    static service::VerifierClient client(const char* who) {
        return service::VerifierClient(url(), service::ClientIdentity::in_directory(root / who), 5);
    }
    // The HTTP status of a request (0: no response, e.g. TLS refused).
    static int status_of(const std::function<void()>& request) {
        try {
            request();
        } catch (const service::ClientError& e) {
            return e.status();
        }
        return 200;
    }

    static inline fs::path root;
    static inline std::unique_ptr<service::VerifierDirectory> dir;
    static inline std::unique_ptr<service::Database> db;
    static inline std::unique_ptr<service::VerifierStore> store;
    static inline std::unique_ptr<service::VerifierService> verifier;
    static inline std::unique_ptr<service::HttpsServer> server;
    static inline std::thread thread;
    static inline int port = 0;
    static inline std::unique_ptr<attest::SoftwareAttester> ak;
};
}  // namespace

TEST_F(HttpsServerTest, AnAgentAttestsOverMutualTls) {
    auto c = client("n1");
    auto nonce =
        binary::from_hex(c.post("/v1/nodes/n1/challenge", "{}")["nonce"].get<std::string>());
    auto launch = testsupport::synthetic_launch();
    auto body =
        attest::serialize(ak->evidence("n1", nonce, launch.pcrs, launch.log, {1, 1, 0, true}));
    auto result = c.post("/v1/nodes/n1/evidence", body);
    EXPECT_EQ(result["status"], "warning") << result.dump(2);  // genuine; no policy assigned
    EXPECT_EQ(result["failed"], json::array({"appraised"}));
    // Replaying the same evidence over the wire is named.
    auto replay = c.post("/v1/nodes/n1/evidence", body);
    EXPECT_EQ(replay["status"], "contraindicated");
    EXPECT_NE(replay["failed"].dump().find("nonce"), std::string::npos);
    // The agent sees its own history; the admin sees the node list.
    EXPECT_EQ(c.get("/v1/nodes/n1/attestations")["attestations"].size(), 2u);
    EXPECT_EQ(client("admin").get("/v1/nodes")["total"], 1);
}

TEST_F(HttpsServerTest, AnAgentCannotActForAnotherNode) {
    auto c = client("n2");
    EXPECT_EQ(status_of([&] { c.post("/v1/nodes/n1/challenge", "{}"); }), 403);
    EXPECT_EQ(status_of([&] { c.get("/v1/nodes/n1/attestations"); }), 403);
    EXPECT_EQ(status_of([&] { c.post("/v1/nodes/n1/enrollment", "{}"); }), 403);
}

TEST_F(HttpsServerTest, AdminRoutesNeedTheAdminIdentity) {
    auto c = client("n1");
    EXPECT_EQ(status_of([&] { c.get("/v1/nodes"); }), 403);
    EXPECT_EQ(status_of([&] { c.put("/v1/policies/p", "{}"); }), 403);
    EXPECT_EQ(status_of([&] { c.del("/v1/nodes/n1"); }), 403);
    EXPECT_EQ(status_of([&] { c.put("/v1/nodes/n1/policy", "{\"policy\":\"p\"}"); }), 403);
    EXPECT_EQ(status_of([&] { client("admin").get("/v1/policies"); }), 200);
}

TEST_F(HttpsServerTest, ACertificateOfAnotherCaIsRefusedInTheHandshake) {
    EXPECT_EQ(status_of([&] { client("forged-admin").get("/v1/nodes"); }), 0);
}

TEST_F(HttpsServerTest, AClientWithoutACertificateIsRefusedInTheHandshake) {
    httplib::SSLClient c("localhost", port);
    c.set_ca_cert_path((root / "n1" / "ca.pem").c_str());
    c.enable_server_certificate_verification(true);
    EXPECT_FALSE(c.Get("/v1/health"));
}

TEST_F(HttpsServerTest, Tls12IsRefused) {
    httplib::SSLClient c("localhost", port, (root / "n1" / "cert.pem").string(),
                         (root / "n1" / "key.pem").string());
    c.set_ca_cert_path((root / "n1" / "ca.pem").c_str());
    SSL_CTX_set_max_proto_version(c.ssl_context(), TLS1_2_VERSION);
    EXPECT_FALSE(c.Get("/v1/health"));
    SSL_CTX_set_max_proto_version(c.ssl_context(), TLS1_3_VERSION);
    auto ok = c.Get("/v1/health");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpsServerTest, AServerCertificateForAnotherHostIsRefusedByTheClient) {
    // A second server, with a certificate of the right CA that names only
    // verifier.example: reached as localhost, the client must refuse it.
    auto certs = crypto::pem_certificates(std::string(
        std::istreambuf_iterator<char>(*std::make_unique<std::ifstream>(dir->ca_certificate())),
        {}));
    std::ifstream key_in(dir->ca_key());
    crypto::CertificateAuthority ca{std::string(std::istreambuf_iterator<char>(key_in), {}),
                                    certs.at(0)};
    crypto::TlsCertificateRequest r;
    r.common_name = "verifier.example";
    r.server = true;
    r.dns_names = {"verifier.example"};
    auto id = crypto::issue_tls_identity(ca, r);
    std::ofstream(root / "elsewhere.pem") << id.certificate_pem;
    std::ofstream(root / "elsewhere-key.pem") << id.key_pem;
    service::ServerOptions o;
    o.port = 0;
    o.certificate_file = root / "elsewhere.pem";
    o.key_file = root / "elsewhere-key.pem";
    o.client_ca_file = dir->ca_certificate();
    service::HttpsServer elsewhere(*verifier, o);
    int other_port = elsewhere.bind();
    std::thread t([&] { elsewhere.run(); });
    auto c = service::VerifierClient("https://localhost:" + std::to_string(other_port),
                                     service::ClientIdentity::in_directory(root / "n1"), 2);
    try {
        c.get("/v1/health");
        ADD_FAILURE() << "the client accepted a certificate for another host";
    } catch (const service::ClientError& e) {
        EXPECT_EQ(e.status(), 0);
        EXPECT_NE(std::string(e.what()).find("SSLServerVerification"), std::string::npos)
            << e.what();
    }
    elsewhere.stop();
    t.join();
}

TEST_F(HttpsServerTest, MalformedAndOversizedRequestsAreRefusedWithAReason) {
    auto c = client("n1");
    try {
        c.post("/v1/nodes/n1/evidence", "{\"format\": ");
        FAIL();
    } catch (const service::ClientError& e) {
        EXPECT_EQ(e.status(), 400);
        EXPECT_NE(std::string(e.what()).find("JSON"), std::string::npos) << e.what();
    }
    EXPECT_EQ(
        status_of([&] { c.post("/v1/nodes/n1/evidence", std::string(5 * 1024 * 1024, 'x')); }),
        413);
    EXPECT_EQ(status_of([&] { c.post("/v1/nodes/n1/enrollment", "[1,2]"); }), 400);
    EXPECT_EQ(status_of([&] { c.post("/v1/nodes/n1/enrollment", "{\"ek_public\":\"zz\"}"); }), 400);
    EXPECT_EQ(status_of([&] { c.get("/v1/no-such-route"); }), 404);
    EXPECT_EQ(status_of([&] { c.get("/v1/nodes/n1/attestations?limit=abc"); }), 400);
    EXPECT_EQ(status_of([&] { c.get("/v1/nodes/n1/attestations?limit=100000"); }), 400);
    // The server is still serving.
    EXPECT_EQ(status_of([&] { c.get("/v1/health"); }), 200);
}

TEST_F(HttpsServerTest, EnrollmentWithoutAnEkCertificateIsRefusedByDefault) {
    auto c = client("n2");
    auto other = attest::SoftwareAttester::generate();
    json request = {{"ek_public", binary::to_hex(other.ak_public())},
                    {"ak_public", binary::to_hex(other.ak_public())}};
    // Not an EK template: refused before any challenge is made.
    EXPECT_EQ(status_of([&] { c.post("/v1/nodes/n2/enrollment", request.dump()); }), 403);
    EXPECT_EQ(status_of([&] { c.post("/v1/nodes/n2/enrollment/answer", "{\"secret\":\"00\"}"); }),
              409);
}

// A client that reconnects resumes its TLS session (no certificate exchange)
// and is still known by the certificate of its first handshake: an agent for
// its own node, not for another.
TEST_F(HttpsServerTest, AReconnectingClientResumesItsSessionAsTheSameCaller) {
    auto connect = [](int to_port) {
        auto c = std::make_unique<httplib::SSLClient>("localhost", to_port,
                                                      (root / "n1" / "cert.pem").string(),
                                                      (root / "n1" / "key.pem").string());
        c->set_ca_cert_path((root / "n1" / "ca.pem").c_str());
        c->enable_server_certificate_verification(true);
        c->set_keep_alive(false);  // a new connection, hence a handshake, per request
        return c;
    };
    const auto stored_before = server->tls_sessions();
    auto c = connect(port);
    service::TlsSessionReuse sessions(c->ssl_context());
    for (int i = 0; i < 3; ++i) {
        auto r = c->Post("/v1/nodes/n1/challenge", "{}", "application/json");
        ASSERT_TRUE(r) << httplib::to_string(r.error());
        EXPECT_EQ(r->status, 200) << r->body;
    }
    auto other = c->Post("/v1/nodes/n2/challenge", "{}", "application/json");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 403) << other->body;
    EXPECT_EQ(sessions.full_handshakes(), 1u);
    EXPECT_EQ(sessions.resumed_handshakes(), 3u);
    // Each resumption's new session replaced the one it resumed.
    EXPECT_EQ(server->tls_sessions(), stored_before + 1);

    // A server with resumption turned off makes every handshake a full one.
    auto o = server_options(2);
    o.session_seconds = 0;
    service::HttpsServer no_resumption(*verifier, o);
    int no_port = no_resumption.bind();
    std::thread serving([&] { no_resumption.run(); });
    auto c2 = connect(no_port);
    service::TlsSessionReuse sessions2(c2->ssl_context());
    for (int i = 0; i < 2; ++i) {
        auto r = c2->Post("/v1/nodes/n1/challenge", "{}", "application/json");
        ASSERT_TRUE(r) << httplib::to_string(r.error());
        EXPECT_EQ(r->status, 200);
    }
    no_resumption.stop();
    serving.join();
    EXPECT_EQ(sessions2.full_handshakes(), 2u);
    EXPECT_EQ(sessions2.resumed_handshakes(), 0u);
}

// A periodic agent disconnects between rounds, freeing the server's thread,
// and its next request resumes the TLS session instead of a full handshake.
TEST_F(HttpsServerTest, AnAgentThatDisconnectsResumesOnItsNextRequest) {
    auto c = client("n1");
    EXPECT_EQ(c.get("/v1/health")["status"], "ok");
    EXPECT_EQ(c.resumed_handshakes(), 0u);
    for (int round = 1; round <= 2; ++round) {
        c.disconnect();
        EXPECT_EQ(c.post("/v1/nodes/n1/challenge", "{}").count("nonce"), 1u);
        EXPECT_EQ(c.resumed_handshakes(), static_cast<std::size_t>(round));
    }
    // Without a disconnect the kept connection serves on: no new handshake.
    c.get("/v1/health");
    EXPECT_EQ(c.resumed_handshakes(), 2u);
}

// One event loop serves many agents at once: every request is answered, on
// kept connections, with no thread per connection.
TEST_F(HttpsServerTest, OneEventLoopServesManyClientsAtOnce) {
    service::HttpsServer one_loop(*verifier, server_options(1));
    int one_port = one_loop.bind();
    std::thread serving([&] { one_loop.run(); });
    std::atomic<int> answered{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 24; ++i)
        clients.emplace_back([&] {
            service::VerifierClient c("https://localhost:" + std::to_string(one_port),
                                      service::ClientIdentity::in_directory(root / "n1"), 5);
            for (int r = 0; r < 10; ++r)
                if (c.post("/v1/nodes/n1/challenge", "{}").count("nonce")) ++answered;
        });
    for (auto& t : clients) t.join();
    EXPECT_EQ(answered.load(), 240);
    one_loop.stop();
    serving.join();
}

// stop() ends the server even while clients hold kept connections open.
TEST_F(HttpsServerTest, StoppingClosesKeptConnections) {
    service::HttpsServer stopping(*verifier, server_options(2));
    int stop_port = stopping.bind();
    std::thread serving([&] { stopping.run(); });
    service::VerifierClient c("https://localhost:" + std::to_string(stop_port),
                              service::ClientIdentity::in_directory(root / "n1"), 5);
    EXPECT_EQ(c.get("/v1/health")["status"], "ok");  // the connection stays open
    auto before = std::chrono::steady_clock::now();
    stopping.stop();
    serving.join();
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(3));
    EXPECT_EQ(status_of([&] { c.get("/v1/health"); }), 0);  // nobody answers now
}

// Connections over the limit are closed as they arrive; a freed place is
// taken by the next client.
TEST_F(HttpsServerTest, ConnectionsOverTheLimitAreClosed) {
    auto o = server_options(1);
    o.max_connections = 1;
    service::HttpsServer limited(*verifier, o);
    int limited_port = limited.bind();
    std::thread serving([&] { limited.run(); });
    auto connect = [&] {
        return service::VerifierClient("https://localhost:" + std::to_string(limited_port),
                                       service::ClientIdentity::in_directory(root / "n1"), 2);
    };
    auto first = connect();
    EXPECT_EQ(first.get("/v1/health")["status"], "ok");  // holds the only place
    auto second = connect();
    EXPECT_EQ(status_of([&] { second.get("/v1/health"); }), 0);
    first.disconnect();
    int status = 0;
    for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        status = status_of([&] { second.get("/v1/health"); });
    }
    EXPECT_EQ(status, 200);
    limited.stop();
    serving.join();
}

namespace {
// A bare TLS client with n1's certificate, for requests cpp-httplib's client
// does not make (Expect: 100-continue, an oversized header). It does not
// check the server's certificate: these tests are about the server.
class RawTlsClient {
  public:
    RawTlsClient(int port, const fs::path& identity) : ctx_(SSL_CTX_new(TLS_client_method())) {
        SSL_CTX_use_certificate_file(ctx_, (identity / "cert.pem").c_str(), SSL_FILETYPE_PEM);
        SSL_CTX_use_PrivateKey_file(ctx_, (identity / "key.pem").c_str(), SSL_FILETYPE_PEM);
        bio_ = BIO_new_ssl_connect(ctx_);
        BIO_set_conn_hostname(bio_, ("127.0.0.1:" + std::to_string(port)).c_str());
        connected_ = BIO_do_connect(bio_) == 1 && BIO_do_handshake(bio_) == 1;
    }
    ~RawTlsClient() {
        BIO_free_all(bio_);
        SSL_CTX_free(ctx_);
    }
    bool connected() const { return connected_; }
    void send(std::string_view bytes) {
        BIO_write(bio_, bytes.data(), static_cast<int>(bytes.size()));
    }
    // What the server sends until `needle` appears or it closes.
    std::string read_until(std::string_view needle) {
        std::string got;
        char buf[4096];
        while (got.find(needle) == std::string::npos) {
            int n = BIO_read(bio_, buf, sizeof buf);
            if (n <= 0) break;
            got.append(buf, static_cast<std::size_t>(n));
        }
        return got;
    }

  private:
    SSL_CTX* ctx_;
    BIO* bio_ = nullptr;
    bool connected_ = false;
};
}  // namespace

// A client that asks to continue (curl does, for a large body) gets the
// go-ahead before it sends the body, then the response.
TEST_F(HttpsServerTest, AClientExpectingContinueGetsTheGoAheadFirst) {
    RawTlsClient c(port, root / "n1");
    ASSERT_TRUE(c.connected());
    c.send(
        "POST /v1/nodes/n1/challenge HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
        "application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    auto go_ahead = c.read_until("\r\n\r\n");
    EXPECT_EQ(go_ahead.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << go_ahead;
    c.send("{}");
    auto response = c.read_until("\"nonce\"");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
}

TEST_F(HttpsServerTest, AnOversizedHeaderIsRefusedWithItsOwnStatus) {
    RawTlsClient c(port, root / "n1");
    ASSERT_TRUE(c.connected());
    c.send("GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + std::string(20000, 'a') +
           "\r\n\r\n");
    auto response = c.read_until("}");
    EXPECT_EQ(response.rfind("HTTP/1.1 431 ", 0), 0u) << response.substr(0, 200);
    EXPECT_NE(response.find("header is over the size limit"), std::string::npos);
}
