// The verifier's storage engine, one SQL dialect over two backends: SQLite
// (embedded, the default) and PostgreSQL (libpq). Statements use PostgreSQL's
// $1..$n placeholders and the subset of SQL both engines run identically, so
// one schema and one set of queries serve both.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace drtm::service {

using Value = std::optional<std::string>;  // NULL or the value as text
using Row = std::vector<Value>;

struct Result {
    std::vector<Row> rows;
    std::int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

// The engine's message; never the statement's parameters (they may carry
// secrets or attacker-chosen bytes).
class DatabaseError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One connection; used by one thread at a time.
class Connection {
  public:
    virtual ~Connection() = default;
    virtual Result execute(std::string_view sql, const std::vector<Value>& params = {}) = 0;
    // Starts a transaction that takes the write lock at once (SQLite's
    // BEGIN IMMEDIATE), so two writers never deadlock upgrading a read lock.
    virtual void begin() = 0;
    // False once the server is gone: the pool then opens a new connection.
    virtual bool healthy() const { return true; }
};

// A fixed pool of connections, shared by the server's threads.
class Database {
  public:
    // `url`: "postgresql://…" / "postgres://…" (libpq URI), "sqlite:PATH",
    // or a plain file path (SQLite).
    static std::unique_ptr<Database> open(const std::string& url, std::size_t pool_size = 4);

    const std::string& backend() const { return backend_; }  // "sqlite" / "postgresql"

    // Runs `work` on a connection of the pool.
    template <class F>
    auto with_connection(F&& work) {
        Lease lease(*this);
        return work(*lease.connection);
    }
    // Runs `work` in a transaction: committed when it returns, rolled back
    // when it throws.
    template <class F>
    auto transaction(F&& work) {
        Lease lease(*this);
        Connection& c = *lease.connection;
        c.begin();
        try {
            if constexpr (std::is_void_v<decltype(work(c))>) {
                work(c);
                c.execute("COMMIT");
            } else {
                auto r = work(c);
                c.execute("COMMIT");
                return r;
            }
        } catch (...) {
            try {
                c.execute("ROLLBACK");
            } catch (...) {
                lease.broken = true;  // a connection that cannot roll back is not reused
            }
            throw;
        }
    }

  private:
    Database(std::string backend, std::function<std::unique_ptr<Connection>()> connect,
             std::size_t pool_size);
    struct Lease {
        explicit Lease(Database& db);
        ~Lease();
        Database& db;
        std::unique_ptr<Connection> connection;
        bool broken = false;
    };

    std::string backend_;
    std::function<std::unique_ptr<Connection>()> connect_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;
    std::size_t pool_size_;
};

std::unique_ptr<Connection> connect_sqlite(const std::string& path);
std::unique_ptr<Connection> connect_postgresql(const std::string& url);

}  // namespace drtm::service
