// PostgreSQL backend through libpq: text parameters and results, statements
// prepared once per connection.
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "service/database.hpp"

namespace drtm::service {

namespace {

class PostgresConnection final : public Connection {
  public:
    explicit PostgresConnection(const std::string& url) {
        conn_ = PQconnectdb(url.c_str());
        if (PQstatus(conn_) != CONNECTION_OK) {
            std::string why = PQerrorMessage(conn_);
            PQfinish(conn_);
            // The URL may hold a password: name the server by what libpq says only.
            throw DatabaseError("PostgreSQL: " + trim(why));
        }
        // Quiet NOTICEs ("relation already exists, skipping") on stderr.
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr);
    }
    ~PostgresConnection() override { PQfinish(conn_); }

    Result execute(std::string_view sql, const std::vector<Value>& params) override {
        if (begin_pending_ && params.empty()) {
            begin_pending_ = false;
            // A transaction that ran no statement has nothing to end.
            if (sql == "COMMIT" || sql == "ROLLBACK") return {};
            check(PQexec(conn_, "BEGIN"));
        }
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
        // Only parameterised statements are prepared: PostgreSQL cannot prepare
        // DDL or transaction control, which never take parameters here.
        PGresult* res = nullptr;
        if (params.empty()) {
            res = PQexec(conn_, std::string(sql).c_str());
        } else {
            const std::string& name = statement_name(sql, static_cast<int>(params.size()));
            if (begin_pending_) {
                begin_pending_ = false;
                res = begin_and_execute(name, values);
            } else {
                res = PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()),
                                     values.data(), nullptr, nullptr, 0);
            }
        }
        return rows_of(check(res));
    }

    // BEGIN waits for the transaction's first statement and goes out with it
    // in one pipeline: a round trip less per transaction. Under load the
    // verifier's writer spends most of a transaction waiting on round trips
    // (the server's backend must be scheduled for each), so this shortens
    // every group commit.
    void begin() override { begin_pending_ = true; }
    bool healthy() const override {
        return PQstatus(conn_) == CONNECTION_OK && !stuck_in_pipeline_;
    }

  private:
    using Owned = std::unique_ptr<PGresult, decltype(&PQclear)>;

    // Takes `res`; throws the server's message unless it succeeded.
    static Owned check(PGresult* res) {
        Owned owned(res, &PQclear);
        auto status = PQresultStatus(res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            throw DatabaseError("PostgreSQL: " + trim(res ? PQresultErrorMessage(res)
                                                          : "no result (connection lost)"));
        return owned;
    }

    PGresult* begin_and_execute(const std::string& name, const std::vector<const char*>& values) {
        if (PQenterPipelineMode(conn_) != 1)
            throw DatabaseError("PostgreSQL: " + trim(PQerrorMessage(conn_)));
        const bool sent =
            PQsendQueryParams(conn_, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
            PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                                nullptr, nullptr, 0) == 1 &&
            PQpipelineSync(conn_) == 1;
        // Each query's results end with a null, and the sync ends the
        // pipeline. Everything is read, failures included, or the connection
        // could not leave pipeline mode.
        Owned results[2] = {{nullptr, &PQclear}, {nullptr, &PQclear}};
        // Two queries and the sync: a third null would mean a confused
        // stream, and the loop must end whatever the server sends.
        for (std::size_t query = 0; sent && query <= 2 && PQstatus(conn_) == CONNECTION_OK;) {
            PGresult* r = PQgetResult(conn_);
            if (r == nullptr) {
                ++query;
            } else if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                break;
            } else if (query < 2 && !results[query]) {
                results[query].reset(r);
            } else {
                PQclear(r);
            }
        }
        const std::string why = trim(PQerrorMessage(conn_));
        // Still in pipeline mode (results left unread): no plain statement
        // could run on this connection again, so the pool must drop it.
        if (PQexitPipelineMode(conn_) != 1) stuck_in_pipeline_ = true;
        if (!sent || !results[0]) throw DatabaseError("PostgreSQL: " + why);
        check(results[0].release());  // BEGIN
        return results[1].release();  // checked by the caller
    }

    static Result rows_of(const Owned& owned) {
        PGresult* res = owned.get();
        Result result;
        const int rows = PQntuples(res), columns = PQnfields(res);
        result.rows.reserve(static_cast<std::size_t>(rows));
        for (int r = 0; r < rows; ++r) {
            Row row(static_cast<std::size_t>(columns));
            for (int c = 0; c < columns; ++c)
                if (!PQgetisnull(res, r, c))
                    row[static_cast<std::size_t>(c)] = std::string(
                        PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c)));
            result.rows.push_back(std::move(row));
        }
        const char* tuples = PQcmdTuples(res);
        result.affected = (tuples && *tuples) ? std::stoll(tuples) : 0;
        return result;
    }

    static std::string trim(std::string s) {
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        return s;
    }
    const std::string& statement_name(std::string_view sql, int parameters) {
        std::string key(sql);
        auto it = prepared_.find(key);
        if (it != prepared_.end()) return it->second;
        std::string name = "s" + std::to_string(prepared_.size());
        PGresult* res = PQprepare(conn_, name.c_str(), key.c_str(), parameters, nullptr);
        auto status = PQresultStatus(res);
        std::string why = status == PGRES_COMMAND_OK ? "" : trim(PQresultErrorMessage(res));
        PQclear(res);
        if (!why.empty()) throw DatabaseError("PostgreSQL: " + why);
        return prepared_.emplace(std::move(key), std::move(name)).first->second;
    }

    PGconn* conn_ = nullptr;
    bool begin_pending_ = false;
    bool stuck_in_pipeline_ = false;
    std::unordered_map<std::string, std::string> prepared_;
};

}  // namespace

std::unique_ptr<Connection> connect_postgresql(const std::string& url) {
    return std::make_unique<PostgresConnection>(url);
}

}  // namespace drtm::service
