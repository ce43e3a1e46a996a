// SQLite backend: a file in WAL mode, so readers never wait for the writer,
// and a busy timeout, so concurrent writers queue instead of failing.
#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "service/database.hpp"

namespace drtm::service {

namespace {

// PostgreSQL's $n placeholders become SQLite's ?n (same numbering).
std::string sqlite_placeholders(std::string_view sql) {
    std::string out;
    out.reserve(sql.size());
    bool quoted = false;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        char c = sql[i];
        if (c == '\'') quoted = !quoted;
        if (!quoted && c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            out += '?';
            continue;
        }
        out += c;
    }
    return out;
}

class SqliteConnection final : public Connection {
  public:
    explicit SqliteConnection(const std::string& path) : path_(path) {
        int rc = sqlite3_open_v2(path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
        if (rc != SQLITE_OK) {
            std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
            sqlite3_close(db_);
            throw DatabaseError(path + ": " + why);
        }
        sqlite3_busy_timeout(db_, 10000);
        // WAL + synchronous=NORMAL: a commit survives a process crash; a power
        // cut may lose the last transactions but never corrupts the file.
        execute("PRAGMA journal_mode=WAL", {});
        execute("PRAGMA synchronous=NORMAL", {});
        execute("PRAGMA foreign_keys=ON", {});
    }
    ~SqliteConnection() override {
        for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
        sqlite3_close(db_);
    }

    Result execute(std::string_view sql, const std::vector<Value>& params) override {
        sqlite3_stmt* stmt = prepared(sql);
        struct Reset {
            sqlite3_stmt* s;
            ~Reset() {
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
            }
        } reset{stmt};
        for (std::size_t i = 0; i < params.size(); ++i) {
            int rc = params[i]
                         ? sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i]->data(),
                                             static_cast<int>(params[i]->size()), SQLITE_TRANSIENT)
                         : sqlite3_bind_null(stmt, static_cast<int>(i + 1));
            if (rc != SQLITE_OK) fail("binding parameter " + std::to_string(i + 1));
        }
        Result result;
        const int columns = sqlite3_column_count(stmt);
        for (;;) {
            int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) fail("executing a statement");
            Row row(static_cast<std::size_t>(columns));
            for (int c = 0; c < columns; ++c) {
                if (sqlite3_column_type(stmt, c) == SQLITE_NULL) continue;
                auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                row[static_cast<std::size_t>(c)] =
                    std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
            }
            result.rows.push_back(std::move(row));
        }
        result.affected = sqlite3_changes64(db_);
        return result;
    }

    void begin() override { execute("BEGIN IMMEDIATE", {}); }

  private:
    sqlite3_stmt* prepared(std::string_view sql) {
        std::string key(sql);
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
        std::string translated = sqlite_placeholders(sql);
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, translated.c_str(), static_cast<int>(translated.size()), &stmt,
                               nullptr) != SQLITE_OK)
            fail("preparing a statement");
        cache_.emplace(std::move(key), stmt);
        return stmt;
    }
    [[noreturn]] void fail(const std::string& what) {
        throw DatabaseError(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
    }

    std::string path_;
    sqlite3* db_ = nullptr;
    // A few dozen: group commit prepares one statement per batch size.
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

std::unique_ptr<Connection> connect_sqlite(const std::string& path) {
    return std::make_unique<SqliteConnection>(path);
}

}  // namespace drtm::service
