// What the verifier remembers: enrolled nodes (their AK and the last TPM
// clock info it accepted), enrollments waiting for the attester's answer,
// the attestation history (with the nonce each one spent, so a nonce answers
// one quote only) and the appraisal policies. One schema for SQLite and PostgreSQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/tpm_structures.hpp"
#include "service/database.hpp"

namespace drtm::service {

inline constexpr int kSchemaVersion = 2;

struct NodeRecord {
    std::string name;
    binary::Bytes ak_name;
    binary::Bytes ak_public;  // TPM2B_PUBLIC
    binary::Bytes ek_name;
    std::string policy_id = "default";
    std::int64_t enrolled_at = 0;                 // seconds since the epoch
    std::optional<attest::ClockInfo> last_clock;  // of the last genuine quote
    std::string last_status;                      // empty before the first attestation
    std::int64_t last_attested_at = 0;
    std::int64_t version = 0;  // bumped by every update (optimistic concurrency)
};

struct PendingEnrollment {
    std::string name;
    binary::Bytes ak_name;
    binary::Bytes ak_public;
    binary::Bytes ek_name;
    binary::Bytes secret_digest;  // SHA-256 of the challenge secret, never the secret
    std::int64_t expires_at = 0;
};

struct AttestationRecord {
    std::string id;  // random, hex
    std::string node;
    std::int64_t at = 0;  // microseconds since the epoch
    std::string status;
    std::vector<std::string> failed;
    std::string policy_id;
    std::string ear;    // the signed result
    std::string nonce;  // hex, the nonce this attestation spent; empty if none was valid
};

enum class RecordOutcome {
    stored,
    node_changed,  // the node row is no longer at the version appraised against
    nonce_spent,   // another attestation already spent this nonce
};

// One appraisal waiting to be stored: see VerifierStore::record.
struct PendingRecord {
    AttestationRecord attestation;
    std::optional<attest::ClockInfo> clock;  // moves the node's counters when set
    std::int64_t node_version = 0;           // the node row the appraisal was made against
};

// Attestations a batch may hold: bounds the statements' parameters (8 per
// attestation) and the distinct statements each connection prepares.
inline constexpr std::size_t kMaxRecordBatch = 32;

struct PolicyRecord {
    std::string id;
    std::string document;
    std::int64_t updated_at = 0;
};

class VerifierStore {
  public:
    // Creates the schema in an empty database; refuses one of another version.
    explicit VerifierStore(Database& db);
    Database& database() { return db_; }

    // Drops enrollments whose challenge was never answered in time.
    std::int64_t purge_expired(std::int64_t now);

    void put_pending(const PendingEnrollment& p);
    std::optional<PendingEnrollment> take_pending(const std::string& name);

    // Enrolls or re-enrolls (a new AK starts a new clock history).
    void enroll(const NodeRecord& n);
    // Many at once, in one transaction (bulk provisioning, load tests).
    void enroll_all(const std::vector<NodeRecord>& nodes);
    std::optional<NodeRecord> node(const std::string& name);
    // Nodes ordered by name, after `after`, at most `limit`.
    std::vector<NodeRecord> nodes(const std::string& after, std::int64_t limit);
    std::int64_t node_count();
    bool remove_node(const std::string& name);
    bool set_node_policy(const std::string& name, const std::string& policy_id);

    // Stores an appraisal, spends its nonce and sets the node's latest
    // status (and, with `clock`, its accepted clock info) in one transaction,
    // only if the node row is still at `node_version` and the nonce is
    // unspent; otherwise nothing is stored and the outcome says why, so the
    // caller re-appraises against what changed.
    RecordOutcome record(const AttestationRecord& a, const std::optional<attest::ClockInfo>& clock,
                         std::int64_t node_version);
    // The same for up to kMaxRecordBatch attestations of distinct nodes, in
    // one transaction with one statement per kind of change (group commit):
    // each gets the outcome it would have had alone. Throws (storing
    // nothing) on a storage error.
    std::vector<RecordOutcome> record_all(const std::vector<PendingRecord>& batch);
    std::vector<AttestationRecord> history(const std::string& node, std::int64_t limit);

    void put_policy(const PolicyRecord& p);
    std::optional<PolicyRecord> policy(const std::string& id);
    std::vector<PolicyRecord> policies();

  private:
    Database& db_;
};

}  // namespace drtm::service
