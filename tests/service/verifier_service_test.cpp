// The verifier's protocol rules, on SQLite, with a software attester whose
// quotes are TPM-format bytes: nonces are single-use, fresh and bound to the
// node; only enrolled AKs count; the TPM's counters never go back; results
// are signed EARs that name every failed check; policies are validated.
#include "service/verifier_service.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "attest/ear.hpp"
#include "attest/software_attester.hpp"
#include "binary/bytes.hpp"
#include "crypto/random.hpp"
#include "support/synthetic_launch.hpp"

using namespace drtm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
class VerifierServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        path = fs::temp_directory_path() /
               ("drtm-service-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
        for (const char* s : {"", "-wal", "-shm"}) fs::remove(path.string() + s);
        db = service::Database::open("sqlite:" + path.string(), 4);
        store = std::make_unique<service::VerifierStore>(*db);
        service::ServiceOptions o;
        o.challenge_ttl_seconds = 60;
        o.policy_cache_seconds = 0;
        verifier = std::make_unique<service::VerifierService>(
            *store, crypto::EcdsaP256Key::generate(), nonce_key, o);
        enroll("n1", ak1);
        enroll("n2", ak2);
        json policy = {{"format", "drtm-appraisal-policy"},
                       {"version", 1},
                       {"id", "launch"},
                       {"reference_values", json::array()}};
        json ref;
        for (const auto& [pcr, value] : launch.pcrs.at(crypto::HashAlg::sha256))
            ref[std::to_string(pcr)] = binary::to_hex(value);
        policy["reference_values"].push_back(ref);
        verifier->put_policy("launch", policy.dump());
        verifier->set_node_policy("n1", {{"policy", "launch"}});
        verifier->set_node_policy("n2", {{"policy", "launch"}});
    }
    void TearDown() override {
        verifier.reset();
        store.reset();
        db.reset();
        for (const char* s : {"", "-wal", "-shm"}) fs::remove(path.string() + s);
    }
    void enroll(const std::string& name, const attest::SoftwareAttester& ak) {
        service::NodeRecord n;
        n.name = name;
        n.ak_name = ak.ak_name();
        n.ak_public = ak.ak_public();
        n.ek_name = binary::Bytes(34, 0xee);
        store->enroll(n);
    }
    binary::Bytes nonce_for(const std::string& node) {
        return binary::from_hex(verifier->challenge(node)["nonce"].get<std::string>());
    }
    std::string evidence(const attest::SoftwareAttester& ak, binary::ByteView nonce,
                         attest::ClockInfo clock = {1000, 5, 0, true}) {
        return attest::serialize(ak.evidence("n1", nonce, launch.pcrs, launch.log, clock));
    }
    static bool failed(const json& result, const std::string& check) {
        for (const auto& f : result["failed"])
            if (f == check) return true;
        return false;
    }

    fs::path path;
    binary::Bytes nonce_key = crypto::random_bytes(32);
    std::unique_ptr<service::Database> db;
    std::unique_ptr<service::VerifierStore> store;
    std::unique_ptr<service::VerifierService> verifier;
    attest::SoftwareAttester ak1 = attest::SoftwareAttester::generate();
    attest::SoftwareAttester ak2 = attest::SoftwareAttester::generate();
    testsupport::SyntheticLaunch launch = testsupport::synthetic_launch();
};
}  // namespace

TEST_F(VerifierServiceTest, AGenuineReferenceLaunchIsAffirmedAndStored) {
    auto result = verifier->submit_evidence("n1", evidence(ak1, nonce_for("n1")));
    EXPECT_EQ(result["status"], "affirming") << result.dump(2);
    EXPECT_TRUE(result["failed"].empty());
    auto h = store->history("n1", 5);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].ear, result["ear"]);
    auto n = store->node("n1");
    ASSERT_TRUE(n->last_clock);
    EXPECT_EQ(n->last_clock->reset_count, 5u);
    EXPECT_EQ(n->last_status, "affirming");
}

TEST_F(VerifierServiceTest, TheResultIsAnEarSignedByTheVerifierKey) {
    // The service's public key verifies it; another key does not.
    auto result = verifier->submit_evidence("n1", evidence(ak1, nonce_for("n1")));
    auto pem_path = fs::temp_directory_path() / ("drtm-ear-" + std::to_string(::getpid()) + ".pem");
    {
        std::FILE* f = std::fopen(pem_path.c_str(), "w");
        auto pem = verifier->ear_public_key_pem();
        std::fwrite(pem.data(), 1, pem.size(), f);
        std::fclose(f);
    }
    auto key = crypto::EcdsaP256Key::load_public_pem(pem_path);
    fs::remove(pem_path);
    auto claims = attest::verify_ear(result["ear"].get<std::string>(), key);
    EXPECT_EQ(claims["submods"]["drtm-launch"]["ear_status"], "affirming") << claims.dump(2);
    EXPECT_THROW(
        attest::verify_ear(result["ear"].get<std::string>(), crypto::EcdsaP256Key::generate()),
        std::runtime_error);
}

TEST_F(VerifierServiceTest, AReplayedNonceIsRejectedAndRecorded) {
    auto nonce = nonce_for("n1");
    auto body = evidence(ak1, nonce);
    EXPECT_EQ(verifier->submit_evidence("n1", body)["status"], "affirming");
    auto replay = verifier->submit_evidence("n1", body);
    EXPECT_EQ(replay["status"], "contraindicated");
    EXPECT_TRUE(failed(replay, "nonce")) << replay.dump(2);
    EXPECT_EQ(store->history("n1", 5).size(), 2u);  // the attempt is in the history
}

TEST_F(VerifierServiceTest, ANonceNeverIssuedIsRejected) {
    auto result = verifier->submit_evidence("n1", evidence(ak1, binary::Bytes(32, 0x42)));
    EXPECT_TRUE(failed(result, "nonce"));
}

TEST_F(VerifierServiceTest, AStaleNonceIsRejected) {
    // Minted with this verifier's key, but expired in 1970.
    auto stale = service::NonceMinter(nonce_key).mint("n1", 1000);
    auto result = verifier->submit_evidence("n1", evidence(ak1, stale));
    EXPECT_TRUE(failed(result, "nonce"));
    EXPECT_NE(result["ear"].get<std::string>().size(), 0u);
    EXPECT_EQ(store->history("n1", 1).at(0).nonce, "");  // a stale nonce is not spent
}

TEST_F(VerifierServiceTest, ANonceOfAnotherVerifierIsRejected) {
    auto foreign = service::NonceMinter(crypto::random_bytes(32)).mint("n1", 4102444800);
    auto result = verifier->submit_evidence("n1", evidence(ak1, foreign));
    EXPECT_TRUE(failed(result, "nonce"));
}

TEST_F(VerifierServiceTest, TheNextChallengeInAResultServesTheNextQuote) {
    auto first = verifier->submit_evidence("n1", evidence(ak1, nonce_for("n1")));
    ASSERT_EQ(first["status"], "affirming");
    auto next = binary::from_hex(first["next_challenge"]["nonce"].get<std::string>());
    auto second = verifier->submit_evidence("n1", evidence(ak1, next, {2000, 5, 0, true}));
    EXPECT_EQ(second["status"], "affirming") << second.dump(2);
    auto h = store->history("n1", 2);
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].nonce, binary::to_hex(next));
}

TEST_F(VerifierServiceTest, OneNonceSentTwiceAtOnceIsAcceptedOnce) {
    auto body = evidence(ak1, nonce_for("n1"));
    std::vector<std::string> statuses(4);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back(
            [&, i] { statuses[i] = verifier->submit_evidence("n1", body)["status"]; });
    for (auto& t : threads) t.join();
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "affirming"), 1);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "contraindicated"), 3);
}

TEST_F(VerifierServiceTest, AnotherVerifierProcessMovingTheCountersIsSeen) {
    // A second service on the same database (another process in a fleet
    // deployment): its accepted quote moves the counters, and this
    // service's cached copy of the node must not hide that.
    ASSERT_EQ(verifier->submit_evidence("n1", evidence(ak1, nonce_for("n1")))["status"],
              "affirming");
    service::ServiceOptions o;
    o.policy_cache_seconds = 0;
    service::VerifierService other(*store, crypto::EcdsaP256Key::generate(), nonce_key, o);
    auto nonce = binary::from_hex(other.challenge("n1")["nonce"].get<std::string>());
    ASSERT_EQ(other.submit_evidence("n1", evidence(ak1, nonce, {9000, 7, 0, true}))["status"],
              "affirming");
    // Older counters than the other process accepted: refused here too.
    auto result =
        verifier->submit_evidence("n1", evidence(ak1, nonce_for("n1"), {9500, 6, 0, true}));
    EXPECT_TRUE(failed(result, "tpm_counters")) << result.dump(2);
}

TEST_F(VerifierServiceTest, ANonceIssuedToAnotherNodeIsRejected) {
    auto nonce = nonce_for("n2");
    auto result = verifier->submit_evidence("n1", evidence(ak1, nonce));
    EXPECT_TRUE(failed(result, "nonce"));
}

TEST_F(VerifierServiceTest, AnotherNodesKeyIsNotTheEnrolledKey) {
    auto result = verifier->submit_evidence("n1", evidence(ak2, nonce_for("n1")));
    EXPECT_EQ(result["status"], "contraindicated");
    EXPECT_TRUE(failed(result, "enrolled_key"));
    EXPECT_FALSE(store->node("n1")->last_clock);  // not genuine: counters untouched
}

TEST_F(VerifierServiceTest, AForgedSignatureFailsWithTheCachedEnrolledKeyToo) {
    // The first attestation puts n1's AK in the key cache; the second's
    // quote is altered after signing.
    EXPECT_EQ(verifier->submit_evidence("n1", evidence(ak1, nonce_for("n1")))["status"],
              "affirming");
    auto e = ak1.evidence("n1", nonce_for("n1"), launch.pcrs, launch.log, {2000, 5, 0, true});
    e.quote_attest[e.quote_attest.size() - 1] ^= 1;
    auto result = verifier->submit_evidence("n1", attest::serialize(e));
    EXPECT_TRUE(failed(result, "signature")) << result.dump(2);
    EXPECT_EQ(result["status"], "contraindicated");
}

TEST_F(VerifierServiceTest, AnUnenrolledKeyIsRejected) {
    auto stranger = attest::SoftwareAttester::generate();
    auto result = verifier->submit_evidence("n1", evidence(stranger, nonce_for("n1")));
    EXPECT_TRUE(failed(result, "enrolled_key"));
}

TEST_F(VerifierServiceTest, CountersGoingBackwardsAreRejected) {
    EXPECT_EQ(verifier->submit_evidence(
                  "n1", evidence(ak1, nonce_for("n1"), {5000, 7, 2, true}))["status"],
              "affirming");
    auto back = verifier->submit_evidence("n1", evidence(ak1, nonce_for("n1"), {6000, 6, 9, true}));
    EXPECT_TRUE(failed(back, "tpm_counters")) << back.dump(2);
    ASSERT_TRUE(store->node("n1")->last_clock);
    EXPECT_EQ(store->node("n1")->last_clock->reset_count, 7u);  // the reference did not move
    auto forward =
        verifier->submit_evidence("n1", evidence(ak1, nonce_for("n1"), {100, 8, 0, true}));
    EXPECT_EQ(forward["status"], "affirming") << forward.dump(2);
}

TEST_F(VerifierServiceTest, ALaunchOutsideThePolicyIsNotAffirmed) {
    auto other = testsupport::synthetic_launch("another kernel");
    auto body = attest::serialize(
        ak1.evidence("n1", nonce_for("n1"), other.pcrs, other.log, {1000, 5, 0, true}));
    auto result = verifier->submit_evidence("n1", body);
    // AR4SI "unrecognized executables" (33) is in the warning tier.
    EXPECT_EQ(result["status"], "warning");
    EXPECT_TRUE(failed(result, "reference_values")) << result.dump(2);
}

TEST_F(VerifierServiceTest, MalformedEvidenceIsA400NotAnAppraisal) {
    auto code = [&](std::string_view body) {
        try {
            verifier->submit_evidence("n1", body);
        } catch (const service::RequestError& e) {
            return e.status();
        }
        return 200;
    };
    EXPECT_EQ(code("{"), 400);
    EXPECT_EQ(code("[]"), 400);
    EXPECT_EQ(code(std::string(attest::kMaxEvidenceBytes + 1, ' ')), 400);
    EXPECT_TRUE(store->history("n1", 5).empty());
}

TEST_F(VerifierServiceTest, UnknownNodesAndBadNamesAreRefused) {
    auto status = [](auto&& f) {
        try {
            f();
        } catch (const service::RequestError& e) {
            return e.status();
        }
        return 200;
    };
    EXPECT_EQ(status([&] { verifier->challenge("nobody"); }), 404);
    EXPECT_EQ(status([&] { verifier->challenge("../etc"); }), 400);
    EXPECT_EQ(status([&] { verifier->challenge(std::string(65, 'a')); }), 400);
    EXPECT_EQ(status([&] { verifier->put_policy("launch", "{\"format\":\"nope\"}"); }), 400);
    EXPECT_EQ(status([&] { verifier->set_node_policy("n1", {{"policy", "missing"}}); }), 404);
    EXPECT_EQ(status([&] { verifier->finish_enrollment("n1", {{"secret", "00"}}); }), 409);
}

TEST_F(VerifierServiceTest, ConcurrentAttestationsOfOneNodeAllLand) {
    // Each moves the node's counters; the optimistic update re-appraises the
    // losers, so every evidence is appraised against the latest reference.
    std::vector<std::string> bodies;
    for (std::uint64_t i = 0; i < 8; ++i)
        bodies.push_back(evidence(ak1, nonce_for("n1"), {1000 + i, 5, 0, true}));
    std::vector<std::thread> threads;
    std::atomic<int> answered{0};
    for (const auto& b : bodies)
        threads.emplace_back([&, b] {
            auto r = verifier->submit_evidence("n1", b);
            if (r.contains("status")) ++answered;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(answered.load(), 8);
    EXPECT_EQ(store->history("n1", 20).size(), 8u);
}

namespace {
// An executor of the test's own: continuations queue here (from whichever
// thread completes the record) and run when the test says.
struct ManualExecutor {
    std::mutex m;
    std::condition_variable cv;
    std::deque<service::VerifierService::Continuation> queue;
    service::VerifierService::Resume resume() {
        return [this](service::VerifierService::Continuation next) {
            // Notified under the lock: the test may return (and destroy
            // this executor) as soon as it sees the continuation.
            std::lock_guard lock(m);
            queue.push_back(std::move(next));
            cv.notify_all();
        };
    }
    // Runs continuations until `finished` holds (or 10 s pass).
    bool run_until(const std::function<bool()>& finished) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!finished()) {
            std::unique_lock lock(m);
            if (!cv.wait_until(lock, deadline, [&] { return !queue.empty(); })) return false;
            auto next = std::move(queue.front());
            queue.pop_front();
            lock.unlock();
            next();
        }
        return true;
    }
};
}  // namespace

// The asynchronous form used by the event-driven server: the response comes
// through `done`, called from a continuation the caller's executor ran (so
// the server writes it on the connection's own loop), never from the thread
// that stored the record.
TEST_F(VerifierServiceTest, AsynchronousEvidenceCompletesOnTheCallersExecutor) {
    ManualExecutor executor;
    const auto test_thread = std::this_thread::get_id();
    std::vector<json> results;
    std::vector<std::thread::id> done_on;
    for (int i = 0; i < 2; ++i)
        verifier->submit_evidence_async("n1",
                                        evidence(ak1, nonce_for("n1"), {1000u + i, 5, 0, true}),
                                        executor.resume(), [&](json r, std::exception_ptr error) {
                                            EXPECT_FALSE(error);
                                            results.push_back(std::move(r));
                                            done_on.push_back(std::this_thread::get_id());
                                        });
    // Nothing is answered before the records are durable and resumed.
    EXPECT_TRUE(results.empty());
    ASSERT_TRUE(executor.run_until([&] { return results.size() == 2; }));
    for (const auto& r : results) EXPECT_EQ(r["status"], "affirming") << r.dump(2);
    for (auto id : done_on) EXPECT_EQ(id, test_thread);
    EXPECT_EQ(store->history("n1", 10).size(), 2u);
    // Both clocks were accepted in turn: the node's reference is the later one.
    EXPECT_EQ(store->node("n1")->last_clock->clock, 1001u);
}

// Evidence refused before any appraisal (not JSON, unknown node) is answered
// at once through `done`, with the status to send.
TEST_F(VerifierServiceTest, AsynchronousEvidenceRefusedUpFrontIsAnsweredAtOnce) {
    ManualExecutor executor;
    int status = 0;
    verifier->submit_evidence_async("n1", "{\"format\": ", executor.resume(),
                                    [&](json, std::exception_ptr error) {
                                        try {
                                            std::rethrow_exception(error);
                                        } catch (const service::RequestError& e) {
                                            status = e.status();
                                        }
                                    });
    EXPECT_EQ(status, 400);
    status = 0;
    verifier->submit_evidence_async("nobody", evidence(ak1, binary::Bytes(32, 1)),
                                    executor.resume(), [&](json, std::exception_ptr error) {
                                        try {
                                            std::rethrow_exception(error);
                                        } catch (const service::RequestError& e) {
                                            status = e.status();
                                        }
                                    });
    EXPECT_EQ(status, 404);
    EXPECT_TRUE(executor.queue.empty());
}
