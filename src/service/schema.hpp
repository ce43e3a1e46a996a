// The verifier's tables, in SQL both SQLite and PostgreSQL accept unchanged:
// TEXT and BIGINT columns only, natural or random text keys (no
// engine-specific auto-increment), upserts with ON CONFLICT.
#pragma once

namespace drtm::service {

inline constexpr const char* kSchemaStatements[] = {
    "CREATE TABLE IF NOT EXISTS drtm_schema (version BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nodes ("
    " name TEXT PRIMARY KEY,"
    " ak_name TEXT NOT NULL,"
    " ak_public TEXT NOT NULL,"
    " ek_name TEXT NOT NULL,"
    " policy_id TEXT NOT NULL,"
    " enrolled_at BIGINT NOT NULL,"
    " clock BIGINT, reset_count BIGINT, restart_count BIGINT,"
    " last_status TEXT NOT NULL,"
    " last_attested_at BIGINT NOT NULL,"
    " version BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pending_enrollments ("
    " name TEXT PRIMARY KEY,"
    " ak_name TEXT NOT NULL,"
    " ak_public TEXT NOT NULL,"
    " ek_name TEXT NOT NULL,"
    " secret_digest TEXT NOT NULL,"
    " expires_at BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS attestations ("
    " id TEXT PRIMARY KEY,"
    " node TEXT NOT NULL,"
    " at BIGINT NOT NULL,"
    " status TEXT NOT NULL,"
    " failed TEXT NOT NULL,"
    " policy_id TEXT NOT NULL,"
    " ear TEXT NOT NULL,"
    " nonce TEXT)",
    "CREATE INDEX IF NOT EXISTS attestations_by_node ON attestations (node, at)",
    // A nonce answers one quote: the second attestation naming it cannot be
    // stored. (NULL — evidence without a valid nonce — never conflicts.)
    "CREATE UNIQUE INDEX IF NOT EXISTS attestations_by_nonce ON attestations (nonce)",
    "CREATE TABLE IF NOT EXISTS policies ("
    " id TEXT PRIMARY KEY,"
    " document TEXT NOT NULL,"
    " updated_at BIGINT NOT NULL)",
};

// Version 1 kept issued nonces in a table; version 2 issues self-authenticating
// nonces and records each spent one with its attestation.
inline constexpr const char* kMigrationFrom1[] = {
    "DROP TABLE IF EXISTS challenges",
    "ALTER TABLE attestations ADD COLUMN nonce TEXT",
    "UPDATE drtm_schema SET version = 2",
};

}  // namespace drtm::service
