#include "service/tls_session_cache.hpp"

namespace drtm::service {

void TlsSessionCache::insert(const std::string& id, SSL_SESSION* session) {
    erase(id);
    if (capacity_ == 0) {
        SSL_SESSION_free(session);
        return;
    }
    while (by_id_.size() >= capacity_) {
        const std::string oldest = oldest_first_.front().first;
        erase(oldest);
    }
    oldest_first_.emplace_back(id, session);
    by_id_.emplace(id, std::prev(oldest_first_.end()));
}

SSL_SESSION* TlsSessionCache::find(const std::string& id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second->second;
}

void TlsSessionCache::erase(const std::string& id) {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    SSL_SESSION_free(it->second->second);
    oldest_first_.erase(it->second);
    by_id_.erase(it);
}

void TlsSessionCache::drop_expired(long now) {
    while (!oldest_first_.empty()) {
        SSL_SESSION* s = oldest_first_.front().second;
        if (SSL_SESSION_get_time(s) + SSL_SESSION_get_timeout(s) >= now) return;
        const std::string oldest = oldest_first_.front().first;
        erase(oldest);
    }
}

void TlsSessionCache::clear() {
    for (auto& [id, session] : oldest_first_) SSL_SESSION_free(session);
    oldest_first_.clear();
    by_id_.clear();
}

}  // namespace drtm::service
