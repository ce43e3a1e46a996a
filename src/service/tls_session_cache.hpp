// The verifier's TLS sessions by session ID, the oldest dropped first when
// full. Not thread-safe: TlsSessionStore (tls_session_reuse.hpp) guards it.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace drtm::service {

class TlsSessionCache {
  public:
    explicit TlsSessionCache(std::size_t capacity) : capacity_(capacity) {}
    ~TlsSessionCache() { clear(); }
    TlsSessionCache(const TlsSessionCache&) = delete;
    TlsSessionCache& operator=(const TlsSessionCache&) = delete;

    // Takes over one reference to `session`; an entry of the same ID is
    // replaced. When full, the oldest entry goes: the capacity must exceed
    // the number of clients, or each arrival evicts the next to return.
    void insert(const std::string& id, SSL_SESSION* session);
    // The session, which the cache keeps (the caller takes its own
    // reference if it keeps it), or nullptr.
    SSL_SESSION* find(const std::string& id) const;
    void erase(const std::string& id);
    // Drops the sessions whose lifetime ended before `now` (seconds since
    // the epoch). All share one lifetime, so they expire oldest first.
    void drop_expired(long now);
    void clear();
    std::size_t size() const { return by_id_.size(); }

  private:
    using Entry = std::pair<std::string, SSL_SESSION*>;
    std::size_t capacity_;
    std::list<Entry> oldest_first_;
    std::unordered_map<std::string, std::list<Entry>::iterator> by_id_;
};

}  // namespace drtm::service
