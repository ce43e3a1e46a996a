// Beast's string views are std::string_view here, as everywhere else in drtm.
#define BOOST_BEAST_USE_STD_STRING_VIEW
#include "service/https_server.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "service/http_routes.hpp"
#include "service/tls_session_reuse.hpp"

namespace drtm::service {

namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using nlohmann::json;
using ErrorCode = boost::system::error_code;
using WorkGuard = net::executor_work_guard<net::io_context::executor_type>;

// Database-bound routes (enrollment, administration, history) run on these
// threads so that they never hold up an event loop; they are rare.
constexpr std::size_t kBlockingThreads = 4;
// A connection may carry this many requests, then it is closed (the client
// reconnects, resuming its TLS session).
constexpr std::size_t kRequestsPerConnection = 1000;
constexpr std::size_t kHeaderLimit = 16 * 1024;
// A refused oversized body is read and thrown away up to this much, so the
// client, still sending, gets to read the refusal instead of a reset.
constexpr std::size_t kDiscardLimit = 64 * 1024 * 1024;

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

// The client certificate's OU (its role) and CN (its node). The handshake
// has already verified the chain to the client CA; a resumed session
// carries the certificate of the full handshake that made it.
Caller caller_of(SSL* ssl) {
    Caller c;
    X509* cert = ssl ? SSL_get0_peer_certificate(ssl) : nullptr;
    if (!cert) return c;
    X509_NAME* subject = X509_get_subject_name(cert);
    c.role = name_entry(subject, NID_organizationalUnitName);
    c.node = name_entry(subject, NID_commonName);
    return c;
}

// The SSL_CTX every connection shares: TLS 1.3 only; the client must present
// a certificate of our CA. Throws with the file at fault.
SSL_CTX* make_tls_context(const ServerOptions& o) {
    for (const auto* f : {&o.certificate_file, &o.key_file, &o.client_ca_file})
        if (f->empty() || !std::filesystem::exists(*f))
            throw std::runtime_error("TLS file '" + *f + "' does not exist");
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) throw std::runtime_error("cannot set up TLS");
    std::string problem;
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, o.certificate_file.c_str()) != 1)
        problem = o.certificate_file + ": not a PEM certificate";
    else if (SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_check_private_key(ctx) != 1)
        problem = o.key_file + ": not the private key of " + o.certificate_file;
    else if (SSL_CTX_load_verify_locations(ctx, o.client_ca_file.c_str(), nullptr) != 1)
        problem = o.client_ca_file + ": not a PEM CA certificate";
    if (!problem.empty()) {
        SSL_CTX_free(ctx);
        throw std::runtime_error(problem);
    }
    SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(o.client_ca_file.c_str()));
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Resumption. A full handshake costs the server about 3 ms of CPU under
    // OpenSSL 3.0, most of it decoding the client's certificate through the
    // provider decoders (perf); an agent that reconnects within the session
    // lifetime skips the certificate exchange, and its resumed session
    // carries the certificate the full handshake verified, so the caller is
    // known as before. The sessions stay in this process (SSL_OP_NO_TICKET
    // makes TLS 1.3 tickets stateful): a stateless ticket would serialise
    // the session and decode the client certificate again for every ticket
    // issued, which cost a third of the server's CPU when tried.
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (o.session_seconds > 0) {
        static const unsigned char context[] = "drtm-verifier";
        SSL_CTX_set_session_id_context(ctx, context, sizeof context - 1);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_set_timeout(ctx, o.session_seconds);
        SSL_CTX_set_num_tickets(ctx, 1);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(ctx, 0);
    }
    return ctx;
}
}  // namespace

class ClientConnection;

// The event-driven front end: `threads` event loops (one thread each) share
// the connections; a connection lives on one loop, where its TLS, HTTP,
// authorisation and the attestation's appraisal run without handing work
// to another thread. Storing an attestation completes asynchronously (group
// commit), and the connection is resumed on its loop when the record is
// durable; a thread blocks on nothing while requests wait. Before, with
// one thread per connection (cpp-httplib), each attestation cost 3.5
// context switches and two TLS records per response.
struct HttpsServer::Impl {
    VerifierService& service;
    ServerOptions options;
    // Before the loops: a connection a destroyed loop still held (its
    // pending handler) leaves the registry as it goes.
    std::atomic<std::size_t> open_connections{0};
    std::mutex registry_mutex;
    std::unordered_map<ClientConnection*, std::weak_ptr<ClientConnection>> connections;
    std::vector<std::unique_ptr<net::io_context>> loops;
    std::vector<WorkGuard> keep_running;  // until stop()
    net::ssl::context tls;
    // After the TLS context: released first, while its SSL_CTX exists.
    std::unique_ptr<TlsSessionStore> sessions;
    std::optional<tcp::acceptor> acceptor;
    net::steady_timer accept_retry;
    net::thread_pool blocking{kBlockingThreads};
    std::size_t next_loop = 0;
    std::atomic<bool> stopping{false};

    Impl(VerifierService& s, ServerOptions o)
        : service(s),
          options(std::move(o)),
          loops(make_loops(options.threads)),
          tls(make_tls_context(options)),
          accept_retry(*loops.front()) {
        if (options.session_seconds > 0)
            sessions =
                std::make_unique<TlsSessionStore>(tls.native_handle(), options.session_capacity);
        for (auto& loop : loops) keep_running.push_back(net::make_work_guard(*loop));
    }
    ~Impl() { blocking.join(); }

    static std::vector<std::unique_ptr<net::io_context>> make_loops(std::size_t n) {
        if (n == 0) throw std::invalid_argument("the server needs at least one thread");
        std::vector<std::unique_ptr<net::io_context>> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(std::make_unique<net::io_context>(1));
        return out;
    }

    void accept();
    void on_accept(ErrorCode error, tcp::socket socket);
    void stop();
};

// One client connection: the TLS handshake, then requests one after another.
class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
  public:
    ClientConnection(HttpsServer::Impl& server, tcp::socket socket)
        : server_(server), stream_(std::move(socket), server.tls) {}
    ~ClientConnection() {
        {
            std::lock_guard lock(server_.registry_mutex);
            server_.connections.erase(this);
        }
        --server_.open_connections;
    }

    // On the acceptor's loop: stop() finds it from now on.
    void enroll_in_registry() {
        std::lock_guard lock(server_.registry_mutex);
        server_.connections.emplace(this, weak_from_this());
    }

    // On the connection's own loop.
    void start() {
        arm_deadline();
        stream_.async_handshake(net::ssl::stream_base::server,
                                [self = shared_from_this()](ErrorCode error) {
                                    if (error)
                                        return;  // refused (no or foreign certificate, TLS 1.2)
                                    self->caller_ = caller_of(self->stream_.native_handle());
                                    self->read_request();
                                });
    }

    net::any_io_executor executor() { return stream_.get_executor(); }

    // From stop(), on this connection's loop.
    void close() {
        ErrorCode ignored;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(stream_).close();
    }

  private:
    // The deadline for the operations started from now on (handshake,
    // request, response).
    void arm_deadline() {
        beast::get_lowest_layer(stream_).expires_after(
            std::chrono::seconds(server_.options.read_timeout_seconds));
    }

    // The header first: a client that sent "Expect: 100-continue" (curl,
    // for a large body) waits for the go-ahead before it sends the body.
    void read_request() {
        parser_.emplace();
        parser_->body_limit(server_.options.max_body_bytes);
        parser_->header_limit(kHeaderLimit);
        arm_deadline();
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](ErrorCode error, std::size_t) {
                                    if (error) return self->on_request(error);
                                    self->on_header();
                                });
    }

    void on_header() {
        const auto& header = parser_->get();
        if (!parser_->is_done() && beast::iequals(header[http::field::expect], "100-continue")) {
            continue_.emplace(http::status::continue_, header.version());
            return http::async_write(stream_, *continue_,
                                     [self = shared_from_this()](ErrorCode error, std::size_t) {
                                         if (error) return self->on_request(error);
                                         self->read_body();
                                     });
        }
        read_body();
    }

    void read_body() {
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](ErrorCode error, std::size_t) { self->on_request(error); });
    }

    void on_request(ErrorCode error) {
        if (error == http::error::body_limit)
            return refuse(413, "the request body is over the size limit", true);
        if (error == http::error::header_limit)
            return refuse(431, "the request header is over the size limit", false);
        if (error == http::error::end_of_stream || error == net::error::eof ||
            error == net::ssl::error::stream_truncated || error == beast::error::timeout ||
            error == net::error::operation_aborted || error == net::error::connection_reset)
            return shut_down();
        if (error) return refuse(400, "the request was refused", false);
        request_ = parser_->release();
        ++served_;
        std::optional<RouteMatch> route;
        try {
            route = match_route(request_.method_string(), request_.target());
        } catch (const RequestError& e) {
            return respond(e.status(), {{"error", e.what()}});
        }
        if (!route) return respond(404, {{"error", "no such route"}});
        if (auto refusal = refusal_for(*route, caller_))
            return respond(refusal->status(), {{"error", refusal->what()}});
        route_ = std::move(*route);
        route_.body = std::move(request_.body());
        switch (route_.route->run) {
            case RunOn::loop: {
                auto outcome =
                    run_handler([this] { return route_.route->work(server_.service, route_); },
                                route_.route->pattern);
                return respond(outcome.status, outcome.body);
            }
            case RunOn::blocking_pool:
                return run_blocking();
            case RunOn::evidence:
                return submit_evidence();
        }
    }

    void run_blocking() {
        net::post(server_.blocking, [self = shared_from_this(),
                                     guard = net::make_work_guard(stream_.get_executor())] {
            auto outcome = run_handler(
                [&] { return self->route_.route->work(self->server_.service, self->route_); },
                self->route_.route->pattern);
            net::post(guard.get_executor(), [self, outcome = std::move(outcome)] {
                self->respond(outcome.status, outcome.body);
            });
        });
    }

    void submit_evidence() {
        auto executor = stream_.get_executor();
        // Keeps the loop running until the record's outcome has come back.
        auto guard = std::make_shared<net::executor_work_guard<net::any_io_executor>>(executor);
        server_.service.submit_evidence_async(
            route_.name, std::move(route_.body),
            [executor, guard](VerifierService::Continuation next) {
                net::post(executor, std::move(next));
            },
            [self = shared_from_this(), guard](json response, std::exception_ptr error) {
                auto outcome = run_handler(
                    [&] {
                        if (error) std::rethrow_exception(error);
                        return response;
                    },
                    "evidence");
                self->respond(outcome.status, outcome.body);
            });
    }

    // The JSON response to send, in response_ (which must live until it
    // is written).
    void prepare_response(unsigned version, int status, const json& body, bool keep_alive) {
        response_ = {};
        response_.version(version);
        response_.result(static_cast<unsigned>(status));
        response_.set(http::field::content_type, "application/json");
        response_.body() = body.dump();
        response_.keep_alive(keep_alive);
        response_.prepare_payload();
        arm_deadline();
    }

    void respond(int status, const json& body) {
        prepare_response(
            request_.version() ? request_.version() : 11, status, body,
            request_.keep_alive() && served_ < kRequestsPerConnection && !server_.stopping.load());
        if (server_.options.access_log)
            std::cerr << caller_.role << ":" << caller_.node << " " << request_.method_string()
                      << " " << request_.target() << " " << status << "\n";
        http::async_write(stream_, response_,
                          [self = shared_from_this()](ErrorCode error, std::size_t) {
                              if (error) return;
                              if (!self->response_.keep_alive()) return self->shut_down();
                              self->read_request();
                          });
    }

    // A request that cannot be served: answered, then the connection ends.
    // An oversized body is read and discarded while the client still sends
    // it, so the client reads the refusal rather than a reset connection.
    void refuse(int status, const char* reason, bool discard_body) {
        prepare_response(11, status, {{"error", reason}}, false);
        http::async_write(stream_, response_,
                          [self = shared_from_this(), discard_body](ErrorCode error, std::size_t) {
                              if (error) return;
                              if (discard_body) return self->discard(0);
                              self->shut_down();
                          });
    }

    // Within the one deadline refuse() set: a client trickling its body
    // cannot hold the connection longer.
    void discard(std::size_t so_far) {
        if (so_far >= kDiscardLimit) return close();
        buffer_.consume(buffer_.size());
        stream_.async_read_some(buffer_.prepare(64 * 1024), [self = shared_from_this(), so_far](
                                                                ErrorCode error, std::size_t n) {
            if (error) return self->close();
            self->discard(so_far + n);
        });
    }

    // Sends close_notify and waits briefly for the client's; either way the
    // socket closes when the last handler lets go of the connection.
    void shut_down() {
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
        stream_.async_shutdown([self = shared_from_this()](ErrorCode) { self->close(); });
    }

    HttpsServer::Impl& server_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    std::optional<http::response<http::empty_body>> continue_;
    RouteMatch route_;
    Caller caller_;
    std::size_t served_ = 0;
};

void HttpsServer::Impl::accept() {
    auto& loop = *loops[next_loop++ % loops.size()];
    acceptor->async_accept(
        net::any_io_executor(loop.get_executor()),
        [this](ErrorCode error, tcp::socket socket) { on_accept(error, std::move(socket)); });
}

void HttpsServer::Impl::on_accept(ErrorCode error, tcp::socket socket) {
    if (error == net::error::operation_aborted || !acceptor->is_open()) return;  // stopped
    if (error) {
        // Out of descriptors, say: the connections that end free some.
        std::cerr << "drtm verifier: accepting a connection: " << error.message() << "\n";
        accept_retry.expires_after(std::chrono::milliseconds(100));
        accept_retry.async_wait([this](ErrorCode e) {
            if (!e) accept();
        });
        return;
    }
    if (open_connections.load() >= options.max_connections) {
        // Refused rather than queued: the client retries later.
        ErrorCode ignored;
        socket.close(ignored);
    } else {
        ErrorCode ignored;
        // Responses are small: without TCP_NODELAY each would wait out the
        // client's delayed ACK (~40 ms on Linux).
        socket.set_option(tcp::no_delay(true), ignored);
        ++open_connections;  // the connection's destructor gives it back
        std::shared_ptr<ClientConnection> connection;
        try {
            connection = std::make_shared<ClientConnection>(*this, std::move(socket));
        } catch (const std::exception& e) {
            // No TLS state for it (SSL_new failed, memory): this client is
            // dropped, the server accepts the next.
            --open_connections;
            std::cerr << "drtm verifier: a new connection: " << e.what() << "\n";
        }
        if (connection) {
            connection->enroll_in_registry();
            net::post(connection->executor(), [connection] { connection->start(); });
        }
    }
    accept();
}

void HttpsServer::Impl::stop() {
    // Once; responses from now on close their connections.
    if (stopping.exchange(true)) return;
    net::post(*loops.front(), [this] {
        ErrorCode ignored;
        if (acceptor) acceptor->close(ignored);
        accept_retry.cancel();
        // On the acceptor's loop, after it closed: every connection it
        // accepted is in the registry now, and no more will be.
        // Collected under the lock, closed outside it: the last reference
        // to a connection that has just ended may be ours, and its
        // destructor takes the registry lock.
        std::vector<std::shared_ptr<ClientConnection>> open;
        {
            std::lock_guard registry(registry_mutex);
            for (auto& [raw, weak] : connections)
                if (auto c = weak.lock()) open.push_back(std::move(c));
        }
        for (auto& c : open) net::post(c->executor(), [c] { c->close(); });
    });
    // The loops return once their connections have ended and the requests
    // under way (storing, on the blocking threads) have come back.
    for (auto& guard : keep_running) guard.reset();
}

HttpsServer::HttpsServer(VerifierService& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpsServer::~HttpsServer() = default;

int HttpsServer::bind() {
    auto& o = impl_->options;
    try {
        tcp::resolver resolver(*impl_->loops.front());
        auto endpoints = resolver.resolve(o.host, std::to_string(o.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service);
        const tcp::endpoint endpoint = *endpoints.begin();
        auto& acceptor = impl_->acceptor.emplace(*impl_->loops.front());
        acceptor.open(endpoint.protocol());
        acceptor.set_option(net::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        // The kernel's largest backlog: agents that connect at once are
        // queued, not dropped (a dropped SYN costs the client 1 s).
        acceptor.listen(net::socket_base::max_listen_connections);
        port_ = acceptor.local_endpoint().port();
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                                 ": " + e.code().message());
    }
    impl_->accept();
    return port_;
}

void HttpsServer::run() {
    auto run_loop = [](net::io_context& loop) {
        for (;;) {
            try {
                loop.run();
                return;
            } catch (const std::exception& e) {
                // Handlers catch their own errors; this is a last resort
                // that keeps the loop serving.
                std::cerr << "drtm verifier: " << e.what() << "\n";
            }
        }
    };
    std::vector<std::thread> others;
    for (std::size_t i = 1; i < impl_->loops.size(); ++i)
        others.emplace_back([&, i] { run_loop(*impl_->loops[i]); });
    run_loop(*impl_->loops.front());
    for (auto& t : others) t.join();
}

void HttpsServer::stop() {
    impl_->stop();
}

std::size_t HttpsServer::tls_sessions() const {
    return impl_->sessions ? impl_->sessions->size() : 0;
}

}  // namespace drtm::service
