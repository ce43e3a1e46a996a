#include "service/verifier_store.hpp"

#include <algorithm>
#include <stdexcept>

#include "binary/bytes.hpp"
#include "crypto/random.hpp"
#include "service/schema.hpp"

namespace drtm::service {

namespace {
using binary::from_hex;
using binary::to_hex;

std::string num(std::int64_t v) {
    return std::to_string(v);
}
std::int64_t as_int(const Value& v) {
    return v ? std::stoll(*v) : 0;
}
std::string as_text(const Value& v) {
    return v ? *v : std::string();
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
    return out;
}
std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        auto comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

constexpr const char* kNodeColumns =
    "name, ak_name, ak_public, ek_name, policy_id, enrolled_at, clock, reset_count, "
    "restart_count, last_status, last_attested_at, version";

NodeRecord node_from(const Row& r) {
    NodeRecord n;
    n.name = as_text(r[0]);
    n.ak_name = from_hex(as_text(r[1]));
    n.ak_public = from_hex(as_text(r[2]));
    n.ek_name = from_hex(as_text(r[3]));
    n.policy_id = as_text(r[4]);
    n.enrolled_at = as_int(r[5]);
    if (r[6]) {
        attest::ClockInfo c;
        c.clock = static_cast<std::uint64_t>(as_int(r[6]));
        c.reset_count = static_cast<std::uint32_t>(as_int(r[7]));
        c.restart_count = static_cast<std::uint32_t>(as_int(r[8]));
        n.last_clock = c;
    }
    n.last_status = as_text(r[9]);
    n.last_attested_at = as_int(r[10]);
    n.version = as_int(r[11]);
    return n;
}
}  // namespace

VerifierStore::VerifierStore(Database& db) : db_(db) {
    db_.transaction([](Connection& c) {
        c.execute(kSchemaStatements[0]);  // drtm_schema: says which of the others exist
        auto rows = c.execute("SELECT version FROM drtm_schema").rows;
        if (rows.empty()) {
            c.execute("INSERT INTO drtm_schema (version) VALUES ($1)", {num(kSchemaVersion)});
        } else if (as_int(rows[0][0]) == 1) {
            for (const char* statement : kMigrationFrom1) c.execute(statement);
        } else if (as_int(rows[0][0]) != kSchemaVersion) {
            throw DatabaseError("the database has drtm schema version " + as_text(rows[0][0]) +
                                "; this drtm uses version " + num(kSchemaVersion));
        }
        for (const char* statement : kSchemaStatements) c.execute(statement);
    });
}

std::int64_t VerifierStore::purge_expired(std::int64_t now) {
    return db_.with_connection([&](Connection& c) {
        return c.execute("DELETE FROM pending_enrollments WHERE expires_at < $1", {num(now)})
            .affected;
    });
}

void VerifierStore::put_pending(const PendingEnrollment& p) {
    db_.with_connection([&](Connection& c) {
        c.execute(
            "INSERT INTO pending_enrollments (name, ak_name, ak_public, ek_name, secret_digest, "
            "expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET "
            "ak_name = excluded.ak_name, ak_public = excluded.ak_public, ek_name = "
            "excluded.ek_name, secret_digest = excluded.secret_digest, expires_at = "
            "excluded.expires_at",
            {p.name, to_hex(p.ak_name), to_hex(p.ak_public), to_hex(p.ek_name),
             to_hex(p.secret_digest), num(p.expires_at)});
    });
}

std::optional<PendingEnrollment> VerifierStore::take_pending(const std::string& name) {
    auto rows = db_.with_connection([&](Connection& c) {
        return c
            .execute(
                "DELETE FROM pending_enrollments WHERE name = $1 RETURNING name, ak_name, "
                "ak_public, ek_name, secret_digest, expires_at",
                {name})
            .rows;
    });
    if (rows.empty()) return std::nullopt;
    const auto& r = rows[0];
    return PendingEnrollment{as_text(r[0]),           from_hex(as_text(r[1])),
                             from_hex(as_text(r[2])), from_hex(as_text(r[3])),
                             from_hex(as_text(r[4])), as_int(r[5])};
}

namespace {
// A new row starts at a random version, so a node removed and enrolled again
// never repeats a version a verifier process may still have cached.
std::int64_t first_version() {
    auto bytes = crypto::random_bytes(8);
    std::uint64_t v = 0;
    for (auto b : bytes) v = (v << 8) | b;
    return static_cast<std::int64_t>(v >> 2);  // positive, with room to count up
}

void upsert_node(Connection& c, const NodeRecord& n) {
    c.execute(
        "INSERT INTO nodes (name, ak_name, ak_public, ek_name, policy_id, enrolled_at, clock, "
        "reset_count, restart_count, last_status, last_attested_at, version) VALUES ($1, $2, "
        "$3, $4, $5, $6, NULL, NULL, NULL, '', 0, $7) ON CONFLICT (name) DO UPDATE SET "
        "ak_name = excluded.ak_name, ak_public = excluded.ak_public, ek_name = "
        "excluded.ek_name, enrolled_at = excluded.enrolled_at, clock = NULL, reset_count = "
        "NULL, restart_count = NULL, version = nodes.version + 1",
        {n.name, to_hex(n.ak_name), to_hex(n.ak_public), to_hex(n.ek_name), n.policy_id,
         num(n.enrolled_at), num(first_version())});
}
}  // namespace

void VerifierStore::enroll(const NodeRecord& n) {
    db_.with_connection([&](Connection& c) { upsert_node(c, n); });
}

void VerifierStore::enroll_all(const std::vector<NodeRecord>& nodes) {
    db_.transaction([&](Connection& c) {
        for (const auto& n : nodes) upsert_node(c, n);
    });
}

std::optional<NodeRecord> VerifierStore::node(const std::string& name) {
    auto rows = db_.with_connection([&](Connection& c) {
        return c
            .execute(std::string("SELECT ") + kNodeColumns + " FROM nodes WHERE name = $1", {name})
            .rows;
    });
    if (rows.empty()) return std::nullopt;
    return node_from(rows[0]);
}

std::vector<NodeRecord> VerifierStore::nodes(const std::string& after, std::int64_t limit) {
    auto rows = db_.with_connection([&](Connection& c) {
        return c
            .execute(std::string("SELECT ") + kNodeColumns +
                         " FROM nodes WHERE name > $1 ORDER BY name LIMIT $2",
                     {after, num(limit)})
            .rows;
    });
    std::vector<NodeRecord> out;
    for (const auto& r : rows) out.push_back(node_from(r));
    return out;
}

std::int64_t VerifierStore::node_count() {
    return db_.with_connection(
        [](Connection& c) { return as_int(c.execute("SELECT COUNT(*) FROM nodes").rows[0][0]); });
}

bool VerifierStore::remove_node(const std::string& name) {
    return db_.with_connection([&](Connection& c) {
        return c.execute("DELETE FROM nodes WHERE name = $1", {name}).affected > 0;
    });
}

bool VerifierStore::set_node_policy(const std::string& name, const std::string& policy_id) {
    return db_.with_connection([&](Connection& c) {
        return c.execute("UPDATE nodes SET policy_id = $2, version = version + 1 WHERE name = $1",
                         {name, policy_id})
                   .affected > 0;
    });
}

RecordOutcome VerifierStore::record(const AttestationRecord& a,
                                    const std::optional<attest::ClockInfo>& clock,
                                    std::int64_t node_version) {
    return record_all({PendingRecord{a, clock, node_version}}).at(0);
}

namespace {
// "($1, $2, …), ($9, …)": `rows` groups of `columns` placeholders.
std::string placeholder_rows(std::size_t rows, std::size_t columns) {
    std::string out;
    std::size_t n = 1;
    for (std::size_t r = 0; r < rows; ++r) {
        out += r ? ", (" : "(";
        for (std::size_t c = 0; c < columns; ++c) out += (c ? ", $" : "$") + std::to_string(n++);
        out += ")";
    }
    return out;
}

// The node rows to update, as a derived table both engines accept (SQLite has
// no column list on VALUES): "SELECT CAST($1 AS TEXT) AS v_name, CAST($2 AS
// BIGINT) AS v_version, … UNION ALL SELECT …". Columns are (name,
// is_integer); the casts give PostgreSQL the parameters' types, which a bare
// select list does not.
std::string derived_rows(std::size_t rows,
                         const std::vector<std::pair<const char*, bool>>& columns) {
    std::string out;
    std::size_t n = 1;
    for (std::size_t r = 0; r < rows; ++r) {
        out += r ? " UNION ALL SELECT " : "SELECT ";
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const auto p = "$" + std::to_string(n++);
            out += std::string(c ? ", " : "") + "CAST(" + p +
                   (columns[c].second ? " AS BIGINT) AS " : " AS TEXT) AS ") + columns[c].first;
        }
    }
    return out;
}

// Moves each node whose row is still at the appraised version; returns the
// names of those moved. `with_clock`: the quote was genuine, so its clock
// info becomes the node's and the row's version advances.
std::vector<std::string> update_nodes(Connection& c, const std::vector<const PendingRecord*>& rows,
                                      bool with_clock) {
    if (rows.empty()) return {};
    std::vector<std::pair<const char*, bool>> columns = {
        {"v_name", false}, {"v_version", true}, {"v_status", false}, {"v_at", true}};
    if (with_clock)
        columns.insert(columns.end(), {{"v_clock", true}, {"v_reset", true}, {"v_restart", true}});
    std::vector<Value> params;
    params.reserve(rows.size() * columns.size());
    for (const auto* r : rows) {
        const auto& a = r->attestation;
        params.insert(params.end(), {a.node, num(r->node_version), a.status, num(a.at)});
        if (with_clock)
            params.insert(params.end(), {num(static_cast<std::int64_t>(r->clock->clock)),
                                         num(r->clock->reset_count), num(r->clock->restart_count)});
    }
    const std::string set =
        with_clock ? "clock = v_clock, reset_count = v_reset, restart_count = v_restart, "
                     "last_status = v_status, last_attested_at = v_at, version = version + 1"
                   : "last_status = v_status, last_attested_at = v_at";
    auto moved =
        c.execute("UPDATE nodes SET " + set + " FROM (" + derived_rows(rows.size(), columns) +
                      ") AS v WHERE name = v_name AND version = v_version RETURNING name",
                  params);
    std::vector<std::string> names;
    for (const auto& row : moved.rows) names.push_back(as_text(row.at(0)));
    return names;
}
}  // namespace

std::vector<RecordOutcome> VerifierStore::record_all(const std::vector<PendingRecord>& batch) {
    if (batch.empty()) return {};
    if (batch.size() > kMaxRecordBatch)
        throw std::invalid_argument("a record batch holds at most " +
                                    std::to_string(kMaxRecordBatch) + " attestations");
    // One attestation per node: two against the same row version cannot both move it.
    for (std::size_t i = 0; i < batch.size(); ++i)
        for (std::size_t j = i + 1; j < batch.size(); ++j)
            if (batch[i].attestation.node == batch[j].attestation.node)
                throw std::invalid_argument("a record batch holds one attestation per node ('" +
                                            batch[i].attestation.node + "' twice)");
    return db_.transaction([&](Connection& c) {
        // 1. Every attestation whose nonce is unspent (or that spends none).
        std::vector<Value> params;
        params.reserve(batch.size() * 8);
        for (const auto& r : batch) {
            const auto& a = r.attestation;
            Value nonce;
            if (!a.nonce.empty()) nonce = a.nonce;
            params.insert(params.end(), {a.id, a.node, num(a.at), a.status, join(a.failed),
                                         a.policy_id, a.ear, nonce});
        }
        auto inserted = c.execute(
            "INSERT INTO attestations (id, node, at, status, failed, policy_id, ear, nonce) "
            "VALUES " +
                placeholder_rows(batch.size(), 8) + " ON CONFLICT (nonce) DO NOTHING RETURNING id",
            params);
        std::vector<std::string> stored_ids;
        for (const auto& row : inserted.rows) stored_ids.push_back(as_text(row.at(0)));
        auto contains = [](const std::vector<std::string>& v, const std::string& s) {
            return std::find(v.begin(), v.end(), s) != v.end();
        };

        // 2. Their nodes, each only at the version it was appraised against.
        std::vector<const PendingRecord*> with_clock, without_clock;
        for (const auto& r : batch)
            if (contains(stored_ids, r.attestation.id))
                (r.clock ? with_clock : without_clock).push_back(&r);
        auto moved = update_nodes(c, with_clock, true);
        auto also_moved = update_nodes(c, without_clock, false);
        moved.insert(moved.end(), also_moved.begin(), also_moved.end());

        // 3. An attestation whose node moved on is not kept: its caller
        // appraises again against the new row.
        std::vector<RecordOutcome> outcomes;
        std::vector<Value> orphans;
        for (const auto& r : batch) {
            if (!contains(stored_ids, r.attestation.id)) {
                outcomes.push_back(RecordOutcome::nonce_spent);
            } else if (!contains(moved, r.attestation.node)) {
                outcomes.push_back(RecordOutcome::node_changed);
                orphans.push_back(r.attestation.id);
            } else {
                outcomes.push_back(RecordOutcome::stored);
            }
        }
        if (!orphans.empty())
            c.execute("DELETE FROM attestations WHERE id IN " + placeholder_rows(1, orphans.size()),
                      orphans);
        return outcomes;
    });
}

std::vector<AttestationRecord> VerifierStore::history(const std::string& node, std::int64_t limit) {
    auto rows = db_.with_connection([&](Connection& c) {
        return c
            .execute(
                "SELECT id, node, at, status, failed, policy_id, ear, nonce FROM attestations "
                "WHERE "
                "node"
                " = $1 ORDER BY at DESC, id LIMIT $2",
                {node, num(limit)})
            .rows;
    });
    std::vector<AttestationRecord> out;
    for (const auto& r : rows)
        out.push_back({as_text(r[0]), as_text(r[1]), as_int(r[2]), as_text(r[3]),
                       split(as_text(r[4])), as_text(r[5]), as_text(r[6]), as_text(r[7])});
    return out;
}

void VerifierStore::put_policy(const PolicyRecord& p) {
    db_.with_connection([&](Connection& c) {
        c.execute(
            "INSERT INTO policies (id, document, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) "
            "DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
            {p.id, p.document, num(p.updated_at)});
    });
}

std::optional<PolicyRecord> VerifierStore::policy(const std::string& id) {
    auto rows = db_.with_connection([&](Connection& c) {
        return c.execute("SELECT id, document, updated_at FROM policies WHERE id = $1", {id}).rows;
    });
    if (rows.empty()) return std::nullopt;
    return PolicyRecord{as_text(rows[0][0]), as_text(rows[0][1]), as_int(rows[0][2])};
}

std::vector<PolicyRecord> VerifierStore::policies() {
    auto rows = db_.with_connection([](Connection& c) {
        return c.execute("SELECT id, document, updated_at FROM policies ORDER BY id").rows;
    });
    std::vector<PolicyRecord> out;
    for (const auto& r : rows) out.push_back({as_text(r[0]), as_text(r[1]), as_int(r[2])});
    return out;
}

}  // namespace drtm::service
