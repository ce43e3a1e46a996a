// The verifier and registrar, independent of HTTP: each method takes the
// authenticated caller's node name and the request body, and returns the
// response document or throws RequestError with the HTTP status and the
// reason. The HTTPS front end (https_server.hpp) only routes and
// authenticates; everything a request may do is decided here.
#pragma once

#include <array>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "service/status_error.hpp"

#include "attest/appraisal_policy.hpp"
#include "attest/enrollment.hpp"
#include "crypto/ecdsa_key.hpp"
#include "service/group_commit.hpp"
#include "service/nonce_minter.hpp"
#include "service/verifier_store.hpp"

namespace drtm::service {

struct ServiceOptions {
    attest::EnrollmentPolicy enrollment;
    std::int64_t challenge_ttl_seconds = 120;   // a nonce older than this is stale
    std::int64_t enrollment_ttl_seconds = 300;  // time to answer the credential challenge
    std::int64_t policy_cache_seconds = 2;      // how soon other processes' policy edits apply
    // Group commit: attestation batches written at once (each holding a
    // database connection while it writes); a batch holds up to kMaxRecordBatch.
    std::size_t record_writers = 1;
    std::string verifier_build = "drtm 0.1.0";
};

class VerifierService {
  public:
    // `nonce_key`: the secret that authenticates this verifier's nonces
    // (shared by every process serving the same database).
    VerifierService(VerifierStore& store, crypto::EcdsaP256Key ear_key, binary::Bytes nonce_key,
                    ServiceOptions options);

    // Registrar. Request: {"ek_public", "ek_certificate"?, "ak_public"} (hex);
    // response: the MakeCredential challenge for the node's TPM.
    nlohmann::json begin_enrollment(const std::string& node, const nlohmann::json& request);
    // Request: {"secret"} (hex, what ActivateCredential returned).
    nlohmann::json finish_enrollment(const std::string& node, const nlohmann::json& request);

    // Verifier. A fresh single-use nonce for `node`'s next quote:
    // {"nonce", "expires_at"}.
    nlohmann::json challenge(const std::string& node);
    // Appraises drtm-evidence v1; stores the result; returns
    // {"status", "failed", "ear", "id", "next_challenge"} (a failed appraisal
    // is a 200 with status "contraindicated", not an HTTP error).
    // next_challenge is a nonce for the node's next quote, so a periodic
    // agent needs one request per attestation, not two.
    nlohmann::json submit_evidence(const std::string& node, std::string_view body);

    // The same, without blocking a thread while the record is stored, for
    // an event-driven front end. `resume` is handed each continuation (the
    // appraisal after a retry, the response once the record is durable) and
    // runs it where the caller wants it run, for example posted to the
    // connection's event loop; `done` is then called exactly once, from a
    // continuation or from this call itself, with the response or the
    // error (a RequestError, a DatabaseError, ...).
    using Continuation = std::function<void()>;
    using Resume = std::function<void(Continuation)>;
    using EvidenceDone = std::function<void(nlohmann::json, std::exception_ptr)>;
    void submit_evidence_async(const std::string& node, std::string body, Resume resume,
                               EvidenceDone done);

    // Administration.
    nlohmann::json nodes(const std::string& after, std::int64_t limit);
    nlohmann::json history(const std::string& node, std::int64_t limit);
    nlohmann::json remove_node(const std::string& node);
    nlohmann::json set_node_policy(const std::string& node, const nlohmann::json& request);
    nlohmann::json put_policy(const std::string& id, std::string_view document);
    nlohmann::json policies();

    std::string ear_public_key_pem() const { return ear_key_.public_pem(); }
    VerifierStore& store() { return store_; }
    // How the records were grouped into transactions since start.
    GroupCommit::Stats record_stats() const { return records_.stats(); }

  private:
    std::shared_ptr<const attest::AppraisalPolicy> policy_for(const std::string& id);
    // The node's row and its AK's key, cached across requests: a stale copy
    // is harmless because the store refuses to record against an old
    // version, and the caller then reloads.
    struct EnrolledNode {
        NodeRecord record;
        std::shared_ptr<const crypto::EcdsaP256Key> key;  // null: the stored AK is unusable
    };
    std::shared_ptr<const EnrolledNode> enrolled(const std::string& node, bool reload);
    struct EvidenceJob;
    void appraise_and_record(std::shared_ptr<EvidenceJob> job);
    void after_record(std::shared_ptr<EvidenceJob> job, RecordOutcome outcome,
                      std::exception_ptr error);
    void complete(const std::shared_ptr<EvidenceJob>& job, nlohmann::json response,
                  std::exception_ptr error);
    void remember(std::shared_ptr<const EnrolledNode> node);
    void forget(const std::string& node);
    nlohmann::json new_challenge(const std::string& node);

    VerifierStore& store_;
    crypto::EcdsaP256Key ear_key_;
    NonceMinter nonces_;
    ServiceOptions options_;
    struct CachedPolicy {
        std::shared_ptr<const attest::AppraisalPolicy> policy;
        std::chrono::steady_clock::time_point loaded;
    };
    std::mutex policy_mutex_;
    std::map<std::string, CachedPolicy> policy_cache_;
    // Appraisals of one node take turns within this process, so the
    // optimistic counter update only retries across processes: a node's
    // evidence that arrives while another of its attestations is under way
    // waits here (rare: an agent sends one at a time) and is resumed after.
    std::mutex node_turn_mutex_;
    std::map<std::string, std::deque<std::shared_ptr<EvidenceJob>>> node_turns_;
    std::mutex node_cache_mutex_;
    std::map<std::string, std::shared_ptr<const EnrolledNode>> node_cache_;
    // Last: destroyed first, so its writer threads have stopped (and the
    // records they were writing have been answered) before anything they
    // call back into goes.
    GroupCommit records_;
};

// Node and policy names: 1-64 characters of [A-Za-z0-9._-], so they are safe
// in URLs, file names and logs.
bool valid_name(std::string_view name);

}  // namespace drtm::service
