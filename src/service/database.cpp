#include "service/database.hpp"

namespace drtm::service {

namespace {
bool starts_with(const std::string& s, std::string_view prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}
}  // namespace

std::unique_ptr<Database> Database::open(const std::string& url, std::size_t pool_size) {
    if (pool_size == 0) pool_size = 1;
    if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
        std::unique_ptr<Database> db(new Database(
            "postgresql", [url] { return connect_postgresql(url); }, pool_size));
        db->with_connection([](Connection&) {});  // fail now, not on the first request
        return db;
    }
    std::string path = starts_with(url, "sqlite:") ? url.substr(7) : url;
    if (starts_with(path, "//")) path = path.substr(2);  // sqlite:///abs/path
    if (path.empty()) throw DatabaseError("no SQLite database path in '" + url + "'");
    std::unique_ptr<Database> db(new Database(
        "sqlite", [path] { return connect_sqlite(path); }, pool_size));
    db->with_connection([](Connection&) {});
    return db;
}

Database::Database(std::string backend, std::function<std::unique_ptr<Connection>()> connect,
                   std::size_t pool_size)
    : backend_(std::move(backend)), connect_(std::move(connect)), pool_size_(pool_size) {}

Database::Lease::Lease(Database& d) : db(d) {
    std::unique_lock lock(db.mutex_);
    db.available_.wait(lock, [&] { return !db.idle_.empty() || db.open_ < db.pool_size_; });
    if (!db.idle_.empty()) {
        connection = std::move(db.idle_.back());
        db.idle_.pop_back();
        return;
    }
    ++db.open_;
    lock.unlock();
    try {
        connection = db.connect_();
    } catch (...) {
        std::lock_guard relock(db.mutex_);
        --db.open_;
        db.available_.notify_one();
        throw;
    }
}

Database::Lease::~Lease() {
    std::lock_guard lock(db.mutex_);
    if (connection && !broken && connection->healthy()) {
        db.idle_.push_back(std::move(connection));
    } else {
        --db.open_;
    }
    db.available_.notify_one();
}

}  // namespace drtm::service
