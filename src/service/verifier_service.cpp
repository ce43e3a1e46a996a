#include "service/verifier_service.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <future>
#include <iostream>

#include "attest/ear.hpp"
#include "attest/evidence.hpp"
#include "attest/verifier.hpp"
#include "binary/bytes.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"

namespace drtm::service {

namespace {
using nlohmann::json;

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
std::int64_t now_micros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

binary::Bytes hex_member(const json& j, const char* key, bool required = true) {
    if (!j.is_object()) throw RequestError(400, "the request is not a JSON object");
    if (!j.contains(key)) {
        if (required) throw RequestError(400, std::string("missing '") + key + "'");
        return {};
    }
    if (!j[key].is_string()) throw RequestError(400, std::string("'") + key + "' is not a string");
    try {
        return binary::from_hex(j[key].get<std::string>());
    } catch (const std::exception& e) {
        throw RequestError(400, std::string("'") + key + "': " + e.what());
    }
}

void require_name(const std::string& name, const char* what) {
    if (!valid_name(name))
        throw RequestError(400,
                           std::string(what) + " must be 1-64 characters of A-Z a-z 0-9 . _ -");
}

// The checks that prove the quote is the enrolled TPM's, fresh: only then
// may its clock info become the node's new reference. (tpm_counters runs
// only once the node has a reference.)
bool genuine(const attest::Verdict& v) {
    if (!v.quote) return false;
    for (const char* name :
         {"attestation_key", "enrolled_key", "quote_structure", "signature", "nonce"}) {
        auto it = std::find_if(v.checks.begin(), v.checks.end(),
                               [&](const attest::Check& c) { return c.name == name; });
        if (it == v.checks.end() || !it->passed) return false;
    }
    for (const auto& c : v.checks)
        if (c.name == "tpm_counters" && !c.passed) return false;
    return true;
}
}  // namespace

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            return false;
    return name != "." && name != "..";
}

VerifierService::VerifierService(VerifierStore& store, crypto::EcdsaP256Key ear_key,
                                 binary::Bytes nonce_key, ServiceOptions options)
    : store_(store),
      ear_key_(std::move(ear_key)),
      nonces_(std::move(nonce_key)),
      options_(std::move(options)),
      records_([this](const std::vector<PendingRecord>& batch) { return store_.record_all(batch); },
               kMaxRecordBatch, options_.record_writers) {
    if (!ear_key_.has_private())
        throw std::runtime_error("the EAR signing key has no private part");
}

json VerifierService::begin_enrollment(const std::string& node, const json& request) {
    require_name(node, "the node name");
    attest::EnrollmentRequest r;
    r.node = node;
    r.ek_public = hex_member(request, "ek_public");
    r.ak_public = hex_member(request, "ak_public");
    auto cert = hex_member(request, "ek_certificate", false);
    if (!cert.empty()) r.ek_certificate = cert;
    attest::EnrollmentChallenge c;
    try {
        c = attest::begin_enrollment(r, options_.enrollment);
    } catch (const attest::EnrollmentRefused& e) {
        throw RequestError(403, std::string("enrollment refused: ") + e.what());
    }
    PendingEnrollment p;
    p.name = node;
    p.ak_name = c.ak_name;
    p.ak_public = r.ak_public;
    p.ek_name = c.ek_name;
    p.secret_digest = crypto::hash(crypto::HashAlg::sha256, c.secret);
    p.expires_at = now_seconds() + options_.enrollment_ttl_seconds;
    store_.put_pending(p);
    return {{"credential_blob", binary::to_hex(c.credential.credential_blob)},
            {"encrypted_secret", binary::to_hex(c.credential.encrypted_secret)},
            {"ak_name", binary::to_hex(c.ak_name)},
            {"expires_at", p.expires_at}};
}

json VerifierService::finish_enrollment(const std::string& node, const json& request) {
    require_name(node, "the node name");
    auto answer = hex_member(request, "secret");
    // Taken (deleted) before checking: one answer per challenge, so a wrong
    // guess costs the attacker the whole enrollment.
    auto pending = store_.take_pending(node);
    if (!pending || pending->expires_at < now_seconds())
        throw RequestError(409, "no enrollment of '" + node +
                                    "' is waiting (never begun, "
                                    "expired or already answered)");
    auto digest = crypto::hash(crypto::HashAlg::sha256, answer);
    if (digest.size() != pending->secret_digest.size() ||
        CRYPTO_memcmp(digest.data(), pending->secret_digest.data(), digest.size()) != 0)
        throw RequestError(403,
                           "enrollment refused: the answer is not the challenge's secret "
                           "(the AK and EK are not in the same TPM)");
    NodeRecord n;
    n.name = node;
    n.ak_name = pending->ak_name;
    n.ak_public = pending->ak_public;
    n.ek_name = pending->ek_name;
    n.enrolled_at = now_seconds();
    store_.enroll(n);
    forget(node);
    return {{"node", node}, {"ak_name", binary::to_hex(n.ak_name)}, {"enrolled", true}};
}

json VerifierService::challenge(const std::string& node) {
    require_name(node, "the node name");
    if (!enrolled(node, false)) throw RequestError(404, "node '" + node + "' is not enrolled");
    return new_challenge(node);
}

json VerifierService::new_challenge(const std::string& node) {
    auto expires_at = now_seconds() + options_.challenge_ttl_seconds;
    return {{"nonce", binary::to_hex(nonces_.mint(node, expires_at))}, {"expires_at", expires_at}};
}

// One attestation on its way through the service: parsed and nonce-checked
// once, then appraised (again, if the node's row moved or the nonce turned
// out spent) until its record is stored.
struct VerifierService::EvidenceJob {
    std::string node;
    attest::Evidence evidence;
    binary::Bytes quoted_nonce;
    std::string nonce_problem;
    int attempts = 0;
    Resume resume;
    EvidenceDone done;
    // What the appraisal produced, for after the record is stored.
    std::shared_ptr<const EnrolledNode> enrolled_node;
    AttestationRecord record;
    std::optional<attest::ClockInfo> clock;
};

json VerifierService::submit_evidence(const std::string& node, std::string_view body) {
    std::promise<json> response;
    auto result = response.get_future();
    submit_evidence_async(
        node, std::string(body), [](Continuation next) { next(); },
        [&response](json r, std::exception_ptr error) {
            if (error)
                response.set_exception(error);
            else
                response.set_value(std::move(r));
        });
    return result.get();
}

void VerifierService::submit_evidence_async(const std::string& node, std::string body,
                                            Resume resume, EvidenceDone done) {
    auto job = std::make_shared<EvidenceJob>();
    job->node = node;
    job->resume = std::move(resume);
    job->done = std::move(done);
    try {
        require_name(node, "the node name");
        try {
            job->evidence = attest::parse_evidence(body);
        } catch (const std::exception& e) {
            throw RequestError(400, e.what());
        }
        // The nonce is taken out of the quote before the quote is trusted;
        // the appraisal then checks the signature over it.
        try {
            job->quoted_nonce = attest::parse_quote(job->evidence.quote_attest).extra_data;
        } catch (const std::exception&) {
            // Left empty: the appraisal names the malformed quote.
        }
        switch (nonces_.check(node, job->quoted_nonce, now_seconds())) {
            case NonceCheck::valid:
                break;
            case NonceCheck::not_ours:
                job->nonce_problem =
                    "not a nonce this verifier issued to this node (forged, or issued to another "
                    "node)";
                break;
            case NonceCheck::expired:
                job->nonce_problem = "stale: the challenge expired before the evidence arrived";
                break;
        }
    } catch (...) {
        job->done(nullptr, std::current_exception());
        return;
    }
    {
        std::lock_guard lock(node_turn_mutex_);
        auto [turn, first] = node_turns_.try_emplace(node);
        if (!first) {
            turn->second.push_back(std::move(job));  // resumed when the node's turn comes
            return;
        }
    }
    appraise_and_record(std::move(job));
}

void VerifierService::appraise_and_record(std::shared_ptr<EvidenceJob> job) {
    try {
        if (job->attempts >= 10)
            throw RequestError(503,
                               "node '" + job->node + "' is being updated concurrently; try again");
        auto enrolled_node = enrolled(job->node, job->attempts > 0);
        ++job->attempts;
        if (!enrolled_node) throw RequestError(404, "node '" + job->node + "' is not enrolled");
        const auto& node_record = enrolled_node->record;
        attest::Expectations expect;
        if (job->nonce_problem.empty()) expect.nonce = job->quoted_nonce;
        expect.ak_name = node_record.ak_name;
        expect.previous = node_record.last_clock;
        expect.ak_key = enrolled_node->key;
        auto policy = policy_for(node_record.policy_id);
        auto verdict = attest::appraise(job->evidence, expect, *policy);
        if (!job->nonce_problem.empty())
            for (auto& c : verdict.checks)
                if (c.name == "nonce") c.detail = job->nonce_problem;

        attest::EarInfo info;
        info.issued_at = now_seconds();
        info.verifier_build = options_.verifier_build;
        info.policy_id = policy->id;
        info.nonce = job->quoted_nonce;
        info.node = job->node;
        auto& a = job->record;
        a = AttestationRecord{};
        a.id = binary::to_hex(crypto::random_bytes(16));
        a.node = job->node;
        a.at = now_micros();
        a.status = verdict.status();
        a.failed = verdict.failed();
        a.policy_id = policy->id;
        a.ear = attest::sign_ear(attest::ear_claims(verdict, info), ear_key_);
        if (job->nonce_problem.empty()) a.nonce = binary::to_hex(job->quoted_nonce);
        job->clock.reset();
        if (genuine(verdict)) job->clock = verdict.quote->clock;
        job->enrolled_node = enrolled_node;
        records_.record_async(
            {a, job->clock, node_record.version},
            [this, job](RecordOutcome outcome, std::exception_ptr error) {
                try {
                    job->resume([this, job, outcome, error] { after_record(job, outcome, error); });
                } catch (...) {
                    // Could not be handed back (out of memory): answered
                    // here, on the writer's thread, rather than never.
                    complete(job, nullptr, std::current_exception());
                }
            });
    } catch (...) {
        complete(job, nullptr, std::current_exception());
    }
}

void VerifierService::after_record(std::shared_ptr<EvidenceJob> job, RecordOutcome outcome,
                                   std::exception_ptr error) {
    if (error) return complete(job, nullptr, error);
    switch (outcome) {
        case RecordOutcome::stored: {
            json response;
            std::exception_ptr failure;
            try {
                const auto& a = job->record;
                auto updated = std::make_shared<EnrolledNode>(*job->enrolled_node);
                updated->record.last_status = a.status;
                updated->record.last_attested_at = a.at;
                if (job->clock) {
                    updated->record.last_clock = job->clock;
                    ++updated->record.version;
                }
                remember(std::move(updated));
                response = {{"status", a.status},
                            {"failed", a.failed},
                            {"ear", a.ear},
                            {"id", a.id},
                            {"next_challenge", new_challenge(job->node)}};
            } catch (...) {
                failure = std::current_exception();
            }
            // Outside the try: the job is completed exactly once.
            return complete(job, std::move(response), failure);
        }
        case RecordOutcome::node_changed:
            // Another verifier process moved this node's counters (or an
            // administrator changed it): appraise again against the row.
            break;
        case RecordOutcome::nonce_spent:
            job->nonce_problem = "already used: another attestation spent this nonce (replayed)";
            break;
    }
    appraise_and_record(std::move(job));
}

void VerifierService::complete(const std::shared_ptr<EvidenceJob>& job, json response,
                               std::exception_ptr error) {
    // The node's turn passes to its next waiting attestation, if any. Taken
    // before `done`: once the last caller has heard back, the service may
    // be destroyed, and this thread must not touch it after that.
    std::shared_ptr<EvidenceJob> next;
    {
        std::lock_guard lock(node_turn_mutex_);
        auto turn = node_turns_.find(job->node);
        if (turn != node_turns_.end()) {
            if (turn->second.empty()) {
                node_turns_.erase(turn);
            } else {
                next = std::move(turn->second.front());
                turn->second.pop_front();
            }
        }
    }
    try {
        job->done(std::move(response), error);
    } catch (const std::exception& e) {
        // `done` should not throw; if it does, the node's turn still passes on.
        std::cerr << "drtm verifier: answering an attestation of " << job->node << ": " << e.what()
                  << "\n";
    }
    if (!next) return;
    try {
        next->resume([this, next] { appraise_and_record(next); });
    } catch (...) {
        complete(next, nullptr, std::current_exception());
    }
}

std::shared_ptr<const attest::AppraisalPolicy> VerifierService::policy_for(const std::string& id) {
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(policy_mutex_);
        auto it = policy_cache_.find(id);
        if (it != policy_cache_.end() &&
            now - it->second.loaded < std::chrono::seconds(options_.policy_cache_seconds))
            return it->second.policy;
    }
    auto stored = store_.policy(id);
    auto policy = std::make_shared<attest::AppraisalPolicy>();
    if (stored) {
        *policy = attest::parse_policy(stored->document);  // validated when it was put
    } else {
        policy->id = id;  // no policy yet: genuineness checks only, status at most "warning"
    }
    std::lock_guard lock(policy_mutex_);
    policy_cache_[id] = {policy, now};
    return policy;
}

std::shared_ptr<const VerifierService::EnrolledNode> VerifierService::enrolled(
    const std::string& node, bool reload) {
    if (!reload) {
        std::lock_guard lock(node_cache_mutex_);
        auto it = node_cache_.find(node);
        if (it != node_cache_.end()) return it->second;
    }
    auto record = store_.node(node);
    if (!record) {
        forget(node);
        return nullptr;
    }
    auto loaded = std::make_shared<EnrolledNode>();
    loaded->record = std::move(*record);
    try {
        loaded->key =
            std::make_shared<crypto::EcdsaP256Key>(crypto::EcdsaP256Key::from_public_point(
                attest::parse_attestation_key(loaded->record.ak_public).point));
    } catch (const std::exception&) {
        // Left null: the appraisal reports the key problem.
    }
    remember(loaded);
    return loaded;
}

void VerifierService::remember(std::shared_ptr<const EnrolledNode> node) {
    std::lock_guard lock(node_cache_mutex_);
    // Bounded: about 1 KiB a node; a fleet larger than this just reloads.
    if (node_cache_.size() >= 200000) node_cache_.clear();
    node_cache_[node->record.name] = std::move(node);
}

void VerifierService::forget(const std::string& node) {
    std::lock_guard lock(node_cache_mutex_);
    node_cache_.erase(node);
}

json VerifierService::nodes(const std::string& after, std::int64_t limit) {
    if (limit < 1 || limit > 1000) throw RequestError(400, "limit must be 1-1000");
    json out = json::array();
    for (const auto& n : store_.nodes(after, limit)) {
        json j = {{"name", n.name},
                  {"ak_name", binary::to_hex(n.ak_name)},
                  {"ek_name", binary::to_hex(n.ek_name)},
                  {"policy", n.policy_id},
                  {"enrolled_at", n.enrolled_at},
                  {"last_status", n.last_status},
                  {"last_attested_at_us", n.last_attested_at}};
        if (n.last_clock)
            j["tpm_clock"] = {{"clock", n.last_clock->clock},
                              {"reset_count", n.last_clock->reset_count},
                              {"restart_count", n.last_clock->restart_count}};
        out.push_back(std::move(j));
    }
    return {{"nodes", out}, {"total", store_.node_count()}};
}

json VerifierService::history(const std::string& node, std::int64_t limit) {
    require_name(node, "the node name");
    if (limit < 1 || limit > 1000) throw RequestError(400, "limit must be 1-1000");
    json out = json::array();
    for (const auto& a : store_.history(node, limit))
        out.push_back({{"id", a.id},
                       {"at_us", a.at},
                       {"status", a.status},
                       {"failed", a.failed},
                       {"policy", a.policy_id},
                       {"ear", a.ear}});
    return {{"node", node}, {"attestations", out}};
}

json VerifierService::remove_node(const std::string& node) {
    require_name(node, "the node name");
    forget(node);
    if (!store_.remove_node(node)) throw RequestError(404, "node '" + node + "' is not enrolled");
    return {{"node", node}, {"removed", true}};
}

json VerifierService::set_node_policy(const std::string& node, const json& request) {
    require_name(node, "the node name");
    if (!request.is_object() || !request.contains("policy") || !request["policy"].is_string())
        throw RequestError(400, "give {\"policy\": \"<id>\"}");
    auto id = request["policy"].get<std::string>();
    require_name(id, "the policy id");
    if (!store_.policy(id)) throw RequestError(404, "no policy '" + id + "'");
    forget(node);
    if (!store_.set_node_policy(node, id))
        throw RequestError(404, "node '" + node + "' is not enrolled");
    return {{"node", node}, {"policy", id}};
}

json VerifierService::put_policy(const std::string& id, std::string_view document) {
    require_name(id, "the policy id");
    attest::AppraisalPolicy parsed;
    try {
        parsed = attest::parse_policy(document);
    } catch (const std::exception& e) {
        throw RequestError(400, std::string("policy: ") + e.what());
    }
    if (parsed.id != id)
        throw RequestError(400, "the policy document's id '" + parsed.id + "' is not '" + id + "'");
    store_.put_policy({id, std::string(document), now_seconds()});
    std::lock_guard lock(policy_mutex_);
    policy_cache_.erase(id);
    return {{"policy", id}, {"stored", true}};
}

json VerifierService::policies() {
    json out = json::array();
    for (const auto& p : store_.policies())
        out.push_back(
            {{"id", p.id}, {"updated_at", p.updated_at}, {"document", json::parse(p.document)}});
    return {{"policies", out}};
}

}  // namespace drtm::service
