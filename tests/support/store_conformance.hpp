// One behavioural suite for the verifier's storage, run against SQLite (unit
// tests) and a real PostgreSQL server (integration tests): the same schema
// must behave the same on both. A test file includes this once, defines
// open_conformance_database() and instantiates the suite for its backend.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "service/verifier_store.hpp"

// A fresh, empty database of the backend named by the parameter.
std::unique_ptr<drtm::service::Database> open_conformance_database(const std::string& backend);

class StoreConformance : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        db = open_conformance_database(GetParam());
        store = std::make_unique<drtm::service::VerifierStore>(*db);
    }
    static drtm::service::NodeRecord node(const std::string& name) {
        drtm::service::NodeRecord n;
        n.name = name;
        n.ak_name = drtm::binary::Bytes(34, 0xa1);
        n.ak_public = drtm::binary::Bytes{0x00, 0x02, 0xbe, 0xef};
        n.ek_name = drtm::binary::Bytes(34, 0xe1);
        n.enrolled_at = 1700000000;
        return n;
    }
    std::unique_ptr<drtm::service::Database> db;
    std::unique_ptr<drtm::service::VerifierStore> store;
};

TEST_P(StoreConformance, ReopeningKeepsTheSchemaAndData) {
    store->enroll(node("n1"));
    drtm::service::VerifierStore again(*db);
    EXPECT_EQ(again.node_count(), 1);
}

TEST_P(StoreConformance, RefusesADatabaseOfAnotherSchemaVersion) {
    db->with_connection(
        [](drtm::service::Connection& c) { c.execute("UPDATE drtm_schema SET version = 99"); });
    try {
        drtm::service::VerifierStore again(*db);
        FAIL() << "opened a version-99 database";
    } catch (const drtm::service::DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos) << e.what();
    }
}

TEST_P(StoreConformance, ANonceIsSpentByOneAttestationOnly) {
    store->enroll(node("n1"));
    auto n = store->node("n1");
    using drtm::service::RecordOutcome;
    drtm::service::AttestationRecord a{"a", "n1", 10, "affirming", {}, "p", "e1", "aa11"};
    EXPECT_EQ(store->record(a, std::nullopt, n->version), RecordOutcome::stored);
    drtm::service::AttestationRecord b{"b", "n1", 20, "affirming", {}, "p", "e2", "aa11"};
    EXPECT_EQ(store->record(b, std::nullopt, n->version), RecordOutcome::nonce_spent);
    // Attestations without a valid nonce (empty: NULL) never conflict.
    drtm::service::AttestationRecord c{"c", "n1", 30, "contraindicated", {"nonce"}, "p", "e3", ""};
    drtm::service::AttestationRecord d{"d", "n1", 40, "contraindicated", {"nonce"}, "p", "e4", ""};
    EXPECT_EQ(store->record(c, std::nullopt, n->version), RecordOutcome::stored);
    EXPECT_EQ(store->record(d, std::nullopt, n->version), RecordOutcome::stored);
    auto h = store->history("n1", 10);
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[2].nonce, "aa11");
    EXPECT_EQ(h[0].nonce, "");
}

TEST_P(StoreConformance, ConcurrentRecordersSpendANonceExactlyOnce) {
    for (int i = 0; i < 4; ++i) store->enroll(node("n" + std::to_string(i)));
    std::atomic<int> stored{0}, spent{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            auto name = "n" + std::to_string(t);
            auto version = store->node(name)->version;
            for (int i = 0; i < 50; ++i) {
                drtm::service::AttestationRecord a{
                    name + "-" + std::to_string(i), name, i, "affirming", {}, "p", "e",
                    "nonce" + std::to_string(i)};
                auto outcome = store->record(a, std::nullopt, version);
                if (outcome == drtm::service::RecordOutcome::stored) ++stored;
                if (outcome == drtm::service::RecordOutcome::nonce_spent) ++spent;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(stored.load(), 50);
    EXPECT_EQ(spent.load(), 150);
}

TEST_P(StoreConformance, ExpiredEnrollmentsArePurged) {
    drtm::service::PendingEnrollment p;
    p.name = "n2";
    p.secret_digest = drtm::binary::Bytes(32, 1);
    p.expires_at = 50;
    store->put_pending(p);
    p.name = "n3";
    p.expires_at = 300;
    store->put_pending(p);
    EXPECT_EQ(store->purge_expired(200), 1);
    EXPECT_FALSE(store->take_pending("n2"));
    EXPECT_TRUE(store->take_pending("n3"));
}

TEST_P(StoreConformance, ASchemaVersion1DatabaseIsMigrated) {
    // Version 1 as it was created: outstanding nonces in their own table,
    // attestations without a nonce column.
    auto old = open_conformance_database(GetParam() + "-v1");
    old->transaction([](drtm::service::Connection& c) {
        c.execute("CREATE TABLE drtm_schema (version BIGINT NOT NULL)");
        c.execute("INSERT INTO drtm_schema (version) VALUES (1)");
        c.execute(
            "CREATE TABLE challenges (nonce TEXT PRIMARY KEY, node TEXT NOT NULL, "
            "expires_at BIGINT NOT NULL)");
        c.execute(
            "CREATE TABLE attestations (id TEXT PRIMARY KEY, node TEXT NOT NULL, at "
            "BIGINT NOT NULL, status TEXT NOT NULL, failed TEXT NOT NULL, policy_id TEXT "
            "NOT NULL, ear TEXT NOT NULL)");
        c.execute("INSERT INTO attestations VALUES ('old', 'n1', 5, 'affirming', '', 'p', 'e')");
    });
    drtm::service::VerifierStore migrated(*old);
    auto h = migrated.history("n1", 10);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].id, "old");
    auto version = old->with_connection([](drtm::service::Connection& c) {
        return c.execute("SELECT version FROM drtm_schema").rows.at(0).at(0);
    });
    EXPECT_EQ(version, std::optional<std::string>("2"));
}

TEST_P(StoreConformance, PendingEnrollmentRoundTripsAndIsTakenOnce) {
    drtm::service::PendingEnrollment p;
    p.name = "n1";
    p.ak_name = drtm::binary::Bytes(34, 2);
    p.ak_public = drtm::binary::Bytes{0, 1, 9};
    p.ek_name = drtm::binary::Bytes(34, 3);
    p.secret_digest = drtm::binary::Bytes(32, 4);
    p.expires_at = 77;
    store->put_pending(p);
    p.expires_at = 88;  // a second begin replaces the first
    store->put_pending(p);
    auto got = store->take_pending("n1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->ak_name, p.ak_name);
    EXPECT_EQ(got->ak_public, p.ak_public);
    EXPECT_EQ(got->ek_name, p.ek_name);
    EXPECT_EQ(got->secret_digest, p.secret_digest);
    EXPECT_EQ(got->expires_at, 88);
    EXPECT_FALSE(store->take_pending("n1"));
}

TEST_P(StoreConformance, RecordsMoveTheClockOnlyAtTheExpectedVersion) {
    store->enroll(node("n1"));
    auto n = store->node("n1");
    ASSERT_TRUE(n);
    EXPECT_FALSE(n->last_clock);
    drtm::attest::ClockInfo clock{0x7fffffff12345678ull, 4000000000u, 7, true};
    drtm::service::AttestationRecord a{"id1", "n1", 1700000000123456, "affirming",
                                       {},    "p",  "jwt1",           ""};
    EXPECT_EQ(store->record(a, clock, n->version), drtm::service::RecordOutcome::stored);
    // A second writer that read the same version loses, and stores nothing.
    drtm::service::AttestationRecord b{"id2", "n1", 1700000000123457, "warning",
                                       {"x"}, "p",  "jwt2",           ""};
    EXPECT_EQ(store->record(b, clock, n->version), drtm::service::RecordOutcome::node_changed);
    // So does one without counters: the node it appraised against changed.
    EXPECT_EQ(store->record(b, std::nullopt, n->version),
              drtm::service::RecordOutcome::node_changed);
    auto after = store->node("n1");
    ASSERT_TRUE(after->last_clock);
    EXPECT_EQ(after->last_clock->clock, 0x7fffffff12345678ull);
    EXPECT_EQ(after->last_clock->reset_count, 4000000000u);
    EXPECT_EQ(after->last_clock->restart_count, 7u);
    EXPECT_EQ(after->last_status, "affirming");
    EXPECT_EQ(after->version, n->version + 1);
    auto h = store->history("n1", 10);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].ear, "jwt1");
}

// Group commit writes several nodes' attestations in one transaction; each
// must get the outcome it would have had alone.
TEST_P(StoreConformance, ABatchGivesEachAttestationItsOwnOutcome) {
    using drtm::service::RecordOutcome;
    for (auto name : {"n1", "n2", "n3", "n4", "n5"}) store->enroll(node(name));
    auto version = [&](const char* name) { return store->node(name)->version; };
    ASSERT_EQ(store->record({"first", "n1", 1, "affirming", {}, "p", "e0", "aa01"}, std::nullopt,
                            version("n1")),
              RecordOutcome::stored);
    drtm::attest::ClockInfo clock{5000, 3, 1, true};
    std::vector<drtm::service::PendingRecord> batch = {
        // a nonce spent by an earlier transaction
        {{"replayed", "n2", 2, "affirming", {}, "p", "e1", "aa01"}, clock, version("n2")},
        // genuine, at the node's version: moves its counters
        {{"genuine", "n3", 3, "affirming", {}, "p", "e2", "aa03"}, clock, version("n3")},
        // appraised against a row that has moved on
        {{"late", "n4", 4, "warning", {"x"}, "p", "e3", "aa04"}, clock, version("n4") - 1},
        // no counters to move, no nonce to spend
        {{"plain", "n1", 5, "contraindicated", {"nonce", "signature"}, "p", "e4", ""},
         std::nullopt,
         version("n1")},
        // the same nonce as an earlier attestation of this batch
        {{"twice", "n5", 6, "affirming", {}, "p", "e5", "aa03"}, clock, version("n5")},
    };
    const auto n3_before = version("n3");
    auto outcomes = store->record_all(batch);
    EXPECT_EQ(outcomes,
              (std::vector<RecordOutcome>{RecordOutcome::nonce_spent, RecordOutcome::stored,
                                          RecordOutcome::node_changed, RecordOutcome::stored,
                                          RecordOutcome::nonce_spent}));
    // Stored: the attestation and its node's new state.
    auto n3 = store->node("n3");
    EXPECT_EQ(n3->version, n3_before + 1);
    ASSERT_TRUE(n3->last_clock);
    EXPECT_EQ(n3->last_clock->clock, 5000u);
    EXPECT_EQ(n3->last_status, "affirming");
    ASSERT_EQ(store->history("n3", 10).size(), 1u);
    auto n1 = store->history("n1", 10);
    ASSERT_EQ(n1.size(), 2u);
    EXPECT_EQ(n1[0].failed, (std::vector<std::string>{"nonce", "signature"}));
    EXPECT_EQ(store->node("n1")->last_status, "contraindicated");
    // Not stored: nothing of them is left, and their nodes did not move.
    for (auto name : {"n2", "n4", "n5"}) {
        EXPECT_TRUE(store->history(name, 10).empty()) << name;
        EXPECT_FALSE(store->node(name)->last_clock) << name;
        EXPECT_EQ(store->node(name)->last_status, "") << name;
    }
}

TEST_P(StoreConformance, ABatchHoldsOneAttestationPerNodeAndIsBounded) {
    store->enroll(node("n1"));
    auto v = store->node("n1")->version;
    std::vector<drtm::service::PendingRecord> same_node = {
        {{"a", "n1", 1, "affirming", {}, "p", "e", "bb01"}, std::nullopt, v},
        {{"b", "n1", 2, "affirming", {}, "p", "e", "bb02"}, std::nullopt, v},
    };
    EXPECT_THROW(store->record_all(same_node), std::invalid_argument);
    std::vector<drtm::service::PendingRecord> too_many;
    for (std::size_t i = 0; i <= drtm::service::kMaxRecordBatch; ++i)
        too_many.push_back(
            {{"id" + std::to_string(i), "m" + std::to_string(i), 1, "affirming", {}, "p", "e", ""},
             std::nullopt,
             1});
    EXPECT_THROW(store->record_all(too_many), std::invalid_argument);
    EXPECT_TRUE(store->history("n1", 10).empty());
    EXPECT_TRUE(store->record_all({}).empty());
}

TEST_P(StoreConformance, HistoryIsNewestFirstWithFailedChecks) {
    store->enroll(node("n1"));
    auto v = store->node("n1")->version;
    store->record({"a", "n1", 10, "affirming", {}, "p", "e1", ""}, std::nullopt, v);
    store->record({"b", "n1", 30, "contraindicated", {"nonce", "signature"}, "p", "e3", ""},
                  std::nullopt, v);
    store->record({"c", "n1", 20, "warning", {"appraised"}, "p", "e2", ""}, std::nullopt, v);
    auto h = store->history("n1", 2);
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].id, "b");
    EXPECT_EQ(h[0].failed, (std::vector<std::string>{"nonce", "signature"}));
    EXPECT_EQ(h[1].id, "c");
    EXPECT_EQ(store->node("n1")->last_status, "warning");  // the last one written
}

TEST_P(StoreConformance, ReEnrollmentResetsTheClockHistory) {
    store->enroll(node("n1"));
    auto n = store->node("n1");
    store->record({"a", "n1", 10, "affirming", {}, "p", "e", ""},
                  drtm::attest::ClockInfo{5, 6, 7, true}, n->version);
    auto re = node("n1");
    re.ak_name = drtm::binary::Bytes(34, 0xb2);
    store->enroll(re);
    auto after = store->node("n1");
    EXPECT_EQ(after->ak_name, re.ak_name);
    EXPECT_FALSE(after->last_clock);
    EXPECT_GT(after->version, n->version);
}

TEST_P(StoreConformance, ANodeRemovedAndEnrolledAgainStartsAtAnotherVersion) {
    store->enroll(node("n1"));
    auto before = store->node("n1")->version;
    ASSERT_TRUE(store->remove_node("n1"));
    store->enroll(node("n1"));
    // A process still holding the old row must not be able to write over the new one.
    EXPECT_NE(store->node("n1")->version, before);
    drtm::service::AttestationRecord a{"a", "n1", 10, "affirming", {}, "p", "e", ""};
    EXPECT_EQ(store->record(a, std::nullopt, before), drtm::service::RecordOutcome::node_changed);
}

TEST_P(StoreConformance, NodesPageInNameOrder) {
    for (const char* name : {"c", "a", "b", "d"}) store->enroll(node(name));
    auto first = store->nodes("", 2);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].name, "a");
    EXPECT_EQ(first[1].name, "b");
    auto next = store->nodes("b", 10);
    ASSERT_EQ(next.size(), 2u);
    EXPECT_EQ(next[0].name, "c");
    EXPECT_EQ(store->node_count(), 4);
    EXPECT_TRUE(store->remove_node("a"));
    EXPECT_FALSE(store->remove_node("a"));
    EXPECT_EQ(store->node_count(), 3);
}

TEST_P(StoreConformance, PoliciesUpsertAndNodesPointAtThem) {
    store->put_policy({"p1", "{\"v\":1}", 10});
    store->put_policy({"p1", "{\"v\":2}", 20});
    store->put_policy({"p0", "{}", 5});
    auto p = store->policy("p1");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->document, "{\"v\":2}");
    EXPECT_EQ(p->updated_at, 20);
    EXPECT_EQ(store->policies().size(), 2u);
    EXPECT_EQ(store->policies()[0].id, "p0");
    store->enroll(node("n1"));
    EXPECT_TRUE(store->set_node_policy("n1", "p1"));
    EXPECT_EQ(store->node("n1")->policy_id, "p1");
    EXPECT_FALSE(store->set_node_policy("nobody", "p1"));
}

TEST_P(StoreConformance, TextWithQuotesAndDollarsIsStoredVerbatim) {
    const std::string tricky = "it's $1 '); DROP TABLE nodes; -- \xe2\x9c\x93";
    store->put_policy({"p", tricky, 1});
    EXPECT_EQ(store->policy("p")->document, tricky);
    store->enroll(node("n1"));
    EXPECT_EQ(store->node_count(), 1);
}

TEST_P(StoreConformance, AFailedTransactionLeavesNothingBehind) {
    store->enroll(node("n1"));
    EXPECT_THROW(db->transaction([](drtm::service::Connection& c) {
        c.execute("UPDATE nodes SET last_status = 'half' WHERE name = 'n1'");
        c.execute("INSERT INTO no_such_table VALUES (1)");
    }),
                 drtm::service::DatabaseError);
    EXPECT_EQ(store->node("n1")->last_status, "");
    // The pool still works after the rollback.
    EXPECT_EQ(store->node_count(), 1);
}

// PostgreSQL sends BEGIN together with a transaction's first parameterised
// statement (one pipeline); these hold that path to plain transaction
// semantics on both engines.
TEST_P(StoreConformance, AFailingFirstStatementRollsBackAndEveryConnectionServesOn) {
    using drtm::service::Connection;
    store->enroll(node("n1"));
    for (int round = 0; round < 6; ++round) {  // more rounds than pooled connections
        EXPECT_THROW(db->transaction([](Connection& c) {
            c.execute("INSERT INTO nodes (name) VALUES ($1)", {"n1"});  // taken
        }),
                     drtm::service::DatabaseError);
        EXPECT_THROW(db->transaction([](Connection& c) {
            c.execute("UPDATE nodes SET last_status = $1 WHERE name = $2", {"half", "n1"});
            c.execute("INSERT INTO no_such_table VALUES (1)");
        }),
                     drtm::service::DatabaseError);
        EXPECT_EQ(store->node("n1")->last_status, "");
    }
    db->transaction([](Connection& c) {
        c.execute("UPDATE nodes SET last_status = $1 WHERE name = $2", {"whole", "n1"});
    });
    EXPECT_EQ(store->node("n1")->last_status, "whole");
}

TEST_P(StoreConformance, ATransactionThatRunsNoStatementEndsCleanly) {
    using drtm::service::Connection;
    store->enroll(node("n1"));
    for (int round = 0; round < 6; ++round) {
        EXPECT_NO_THROW(db->transaction([](Connection&) {}));
        EXPECT_THROW(db->transaction([](Connection&) { throw std::runtime_error("before any"); }),
                     std::runtime_error);
    }
    EXPECT_EQ(store->node_count(), 1);
}
