// Group commit: records handed in concurrently are written together, each
// caller gets its own record's outcome, and a failed batch fails only its
// own callers.
#include "service/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace {
using drtm::service::GroupCommit;
using drtm::service::PendingRecord;
using drtm::service::RecordOutcome;

PendingRecord record_for(const std::string& node) {
    PendingRecord r;
    r.attestation.id = "id-" + node;
    r.attestation.node = node;
    return r;
}

// Outcome chosen by the record itself, so a mix-up between callers shows.
RecordOutcome outcome_of(const PendingRecord& r) {
    return r.attestation.node.back() % 2 ? RecordOutcome::nonce_spent : RecordOutcome::stored;
}

TEST(GroupCommit, ALoneRecordIsWrittenAtOnceInABatchOfOne) {
    std::vector<std::size_t> sizes;
    GroupCommit commit(
        [&](const std::vector<PendingRecord>& batch) {
            sizes.push_back(batch.size());
            return std::vector<RecordOutcome>(batch.size(), RecordOutcome::node_changed);
        },
        8, 1);
    EXPECT_EQ(commit.record(record_for("n1")), RecordOutcome::node_changed);
    EXPECT_EQ(sizes, std::vector<std::size_t>{1});
}

// While one batch is being written, the records that arrive wait and are
// then written together, each caller getting its own outcome.
TEST(GroupCommit, RecordsArrivingDuringAWriteShareTheNextBatch) {
    std::mutex m;
    std::condition_variable cv;
    bool release_first = false;
    std::atomic<int> calls{0};
    std::vector<std::size_t> sizes;
    GroupCommit commit(
        [&](const std::vector<PendingRecord>& batch) {
            std::unique_lock lock(m);
            sizes.push_back(batch.size());
            if (calls++ == 0) cv.wait(lock, [&] { return release_first; });
            std::vector<RecordOutcome> out;
            for (const auto& r : batch) out.push_back(outcome_of(r));
            return out;
        },
        32, 1);
    std::thread first([&] { EXPECT_EQ(commit.record(record_for("n0")), RecordOutcome::stored); });
    while (calls.load() == 0) std::this_thread::yield();
    std::vector<std::thread> others;
    for (int i = 1; i <= 6; ++i)
        others.emplace_back([&, i] {
            auto r = record_for("n" + std::to_string(i));
            EXPECT_EQ(commit.record(r), outcome_of(r));
        });
    // Wait until all six are queued behind the first write, then let it finish.
    while (commit.stats().queued < 6) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    {
        std::lock_guard lock(m);
        release_first = true;
    }
    cv.notify_all();
    first.join();
    for (auto& t : others) t.join();
    EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 6}));
    auto stats = commit.stats();
    EXPECT_EQ(stats.records, 7u);
    EXPECT_EQ(stats.batches, 2u);
    EXPECT_EQ(stats.largest_batch, 6u);
}

TEST(GroupCommit, BatchesAreBoundedAndWritersLimited) {
    std::atomic<int> writing{0}, most_writing{0};
    std::atomic<std::size_t> largest{0};
    GroupCommit commit(
        [&](const std::vector<PendingRecord>& batch) {
            int now = ++writing;
            int seen = most_writing.load();
            while (now > seen && !most_writing.compare_exchange_weak(seen, now)) {
            }
            std::size_t l = largest.load();
            while (batch.size() > l && !largest.compare_exchange_weak(l, batch.size())) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            --writing;
            return std::vector<RecordOutcome>(batch.size(), RecordOutcome::stored);
        },
        3, 2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i)
                EXPECT_EQ(commit.record(record_for("n" + std::to_string(t))),
                          RecordOutcome::stored);
        });
    for (auto& t : threads) t.join();
    EXPECT_LE(largest.load(), 3u);
    EXPECT_LE(most_writing.load(), 2);
    EXPECT_EQ(commit.stats().records, 320u);
    EXPECT_LT(commit.stats().batches, 320u);  // 16 callers and 2 ms writes: batches form
}

TEST(GroupCommit, AFailedBatchFailsItsCallersAndTheNextOneIsWritten) {
    std::atomic<int> calls{0};
    GroupCommit commit(
        [&](const std::vector<PendingRecord>& batch) -> std::vector<RecordOutcome> {
            if (calls++ == 0) throw std::runtime_error("storage: connection lost");
            return std::vector<RecordOutcome>(batch.size(), RecordOutcome::stored);
        },
        8, 1);
    try {
        commit.record(record_for("n1"));
        FAIL() << "the batch's error was not passed on";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "storage: connection lost");
    }
    EXPECT_EQ(commit.record(record_for("n2")), RecordOutcome::stored);
}

TEST(GroupCommit, AWriterReturningTheWrongNumberOfOutcomesIsAnError) {
    GroupCommit commit(
        [](const std::vector<PendingRecord>&) { return std::vector<RecordOutcome>{}; }, 8, 1);
    EXPECT_THROW(commit.record(record_for("n1")), std::logic_error);
    EXPECT_THROW(GroupCommit([](const auto&) { return std::vector<RecordOutcome>{}; }, 0, 1),
                 std::invalid_argument);
}
}  // namespace
