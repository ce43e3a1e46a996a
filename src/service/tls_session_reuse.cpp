#include "service/tls_session_reuse.hpp"

#include <ctime>

namespace drtm::service {

namespace {
// The SSL_CTX slots that find the owning object from OpenSSL's callbacks:
// ex_data, not app_data, which Asio's ssl::context keeps for its own
// verify callback (and deletes as one when it is destroyed).
int reuse_slot() {
    static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return slot;
}
int store_slot() {
    static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return slot;
}
// On a server connection: the ID of the session it resumed, which the
// session issued on it supersedes.
void free_resumed_id(void*, void* id, CRYPTO_EX_DATA*, int, long, void*) {
    delete static_cast<std::string*>(id);
}
int resumed_slot() {
    static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_resumed_id);
    return slot;
}
}  // namespace

TlsSessionReuse::TlsSessionReuse(SSL_CTX* ctx) : ctx_(ctx) {
    SSL_CTX_set_ex_data(ctx_, reuse_slot(), this);
    // The client cache is ours alone: OpenSSL keeps no copy, it hands each
    // new session to on_new_session.
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx_, &TlsSessionReuse::on_new_session);
    SSL_CTX_set_info_callback(ctx_, &TlsSessionReuse::on_handshake_event);
}

TlsSessionReuse::~TlsSessionReuse() {
    SSL_CTX_set_info_callback(ctx_, nullptr);
    SSL_CTX_sess_set_new_cb(ctx_, nullptr);
    SSL_CTX_set_ex_data(ctx_, reuse_slot(), nullptr);
    SSL_SESSION_free(session_);
}

TlsSessionReuse* TlsSessionReuse::of(const SSL* ssl) {
    return static_cast<TlsSessionReuse*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), reuse_slot()));
}

int TlsSessionReuse::on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* self = of(ssl);
    if (!self) return 0;
    // A copy: a connection closed without close_notify gets its session
    // marked not resumable, and that is the very object passed here.
    SSL_SESSION* copy = SSL_SESSION_dup(session);
    if (!copy) return 0;
    SSL_SESSION_free(self->session_);
    self->session_ = copy;
    return 0;  // OpenSSL keeps its own reference to `session`
}

void TlsSessionReuse::on_handshake_event(const SSL* ssl, int where, int) {
    auto* self = of(ssl);
    if (!self) return;
    if (where & SSL_CB_HANDSHAKE_START) {
        // Before the ClientHello is built: offer the kept session, if it is
        // still resumable (not expired, not marked bad by a failed resumption).
        if (self->session_ && SSL_SESSION_is_resumable(self->session_) &&
            SSL_get_session(ssl) == nullptr)
            SSL_set_session(const_cast<SSL*>(ssl), self->session_);
    } else if (where & SSL_CB_HANDSHAKE_DONE) {
        if (SSL_session_reused(const_cast<SSL*>(ssl)))
            ++self->resumed_;
        else
            ++self->full_;
    }
}

}  // namespace drtm::service

namespace drtm::service {

TlsSessionStore::TlsSessionStore(SSL_CTX* ctx, std::size_t capacity)
    : ctx_(ctx), sessions_(capacity) {
    SSL_CTX_set_ex_data(ctx_, store_slot(), this);
    // The only cache: OpenSSL's own would answer lookups itself, and the
    // store would not learn which session a connection resumed.
    SSL_CTX_set_session_cache_mode(
        ctx_, SSL_CTX_get_session_cache_mode(ctx_) | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx_, &TlsSessionStore::on_new_session);
    SSL_CTX_sess_set_get_cb(ctx_, &TlsSessionStore::on_get_session);
}

TlsSessionStore::~TlsSessionStore() {
    SSL_CTX_sess_set_new_cb(ctx_, nullptr);
    SSL_CTX_sess_set_get_cb(ctx_, nullptr);
    SSL_CTX_set_ex_data(ctx_, store_slot(), nullptr);
}

std::size_t TlsSessionStore::size() {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

TlsSessionStore* TlsSessionStore::of(const SSL* ssl) {
    return static_cast<TlsSessionStore*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), store_slot()));
}

int TlsSessionStore::on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* self = of(ssl);
    if (!self) return 0;
    unsigned int length = 0;
    const unsigned char* id = SSL_SESSION_get_id(session, &length);
    std::string key(reinterpret_cast<const char*>(id), length);
    // A copy: OpenSSL marks the object it drops from its cache not resumable.
    SSL_SESSION* copy = SSL_SESSION_dup(session);
    if (!copy) return 0;
    std::lock_guard lock(self->mutex_);
    // Only a connection that did resume: one that offered a session and
    // was refused it (another cipher suite's hash, say) leaves it be.
    if (const auto* resumed = static_cast<std::string*>(SSL_get_ex_data(ssl, resumed_slot()));
        resumed && SSL_session_reused(ssl))
        self->sessions_.erase(*resumed);
    self->sessions_.drop_expired(std::time(nullptr));
    self->sessions_.insert(key, copy);
    return 0;  // OpenSSL keeps its own reference to `session`
}

SSL_SESSION* TlsSessionStore::on_get_session(SSL* ssl, const unsigned char* id, int length,
                                             int* copy) {
    auto* self = of(ssl);
    if (!self || length <= 0) return nullptr;
    std::string key(reinterpret_cast<const char*>(id), static_cast<std::size_t>(length));
    std::lock_guard lock(self->mutex_);
    SSL_SESSION* session = self->sessions_.find(key);
    if (!session) return nullptr;
    // Remembered on the connection: the session issued on it replaces this one.
    auto* remembered = new std::string(std::move(key));
    delete static_cast<std::string*>(SSL_get_ex_data(ssl, resumed_slot()));
    if (!SSL_set_ex_data(ssl, resumed_slot(), remembered)) delete remembered;
    // The caller's own reference, taken under the lock: another loop may
    // drop the store's as soon as it is released (OpenSSL would take its
    // reference only after this returns). OpenSSL checks the lifetime.
    SSL_SESSION_up_ref(session);
    *copy = 0;
    return session;
}

}  // namespace drtm::service
