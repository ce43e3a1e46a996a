// TLS session resumption for a client whose HTTP library opens connections
// itself (cpp-httplib offers no session hook): installed on the client's
// SSL_CTX, it keeps the newest session the server issued and offers it when
// the next connection's handshake starts. An agent that attests every few
// minutes then resumes instead of repeating the certificate exchange, which
// is most of a handshake's CPU on both sides under OpenSSL 3.0. One
// SSL_CTX per identity: a session is only offered to the server that issued
// it, with the certificate it was made for.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "service/tls_session_cache.hpp"

namespace drtm::service {

class TlsSessionReuse {
  public:
    // Installs itself on `ctx` (which must outlive it, and serve one server).
    explicit TlsSessionReuse(SSL_CTX* ctx);
    ~TlsSessionReuse();
    TlsSessionReuse(const TlsSessionReuse&) = delete;
    TlsSessionReuse& operator=(const TlsSessionReuse&) = delete;

    std::size_t full_handshakes() const { return full_; }
    std::size_t resumed_handshakes() const { return resumed_; }

  private:
    static int on_new_session(SSL* ssl, SSL_SESSION* session);
    static void on_handshake_event(const SSL* ssl, int where, int ret);
    static TlsSessionReuse* of(const SSL* ssl);

    SSL_CTX* ctx_;
    SSL_SESSION* session_ = nullptr;  // owned; the newest the server issued
    std::size_t full_ = 0;
    std::size_t resumed_ = 0;
};

}  // namespace drtm::service

namespace drtm::service {

// The server's side: the sessions it issued, kept outside OpenSSL's own
// cache too. OpenSSL drops a session from its cache when the connection ends
// without a close_notify (ssl_clear_bad_session), and a server closes a
// connection whose client went away without sending one, so no session
// would ever be resumed. Under TLS 1.3 an abrupt close does not weaken a
// session: its keys and ticket were exchanged inside the finished,
// authenticated handshake.
//
// A resumed connection is issued a new session, which supersedes the one it
// resumed (the client keeps the newest): the old one is dropped, so the
// store holds about one session per client. At most `capacity` sessions;
// when full, the oldest goes (its client makes one full handshake).
class TlsSessionStore {
  public:
    TlsSessionStore(SSL_CTX* ctx, std::size_t capacity);
    ~TlsSessionStore();
    TlsSessionStore(const TlsSessionStore&) = delete;
    TlsSessionStore& operator=(const TlsSessionStore&) = delete;

    std::size_t size();

  private:
    static int on_new_session(SSL* ssl, SSL_SESSION* session);
    static SSL_SESSION* on_get_session(SSL* ssl, const unsigned char* id, int length, int* copy);
    static TlsSessionStore* of(const SSL* ssl);

    SSL_CTX* ctx_;
    std::mutex mutex_;
    TlsSessionCache sessions_;
};

}  // namespace drtm::service
