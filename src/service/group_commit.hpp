// Group commit for the verifier's attestation records. Callers hand in their
// appraisal's record and are told its outcome later; `writers` writer
// threads each take everything queued so far (up to `max_batch`) and write
// it in one batch. Under load a batch gathers the records that arrived
// while the previous one was being written, so transactions, round trips
// and WAL flushes are paid per batch, not per attestation; alone, a record
// is written at once, as without batching.
//
// The completion is a callback so that an event-driven front end never
// blocks a thread on storage: its connection is resumed when the batch is
// durable. record() is the blocking form, for callers that have a thread
// to spare.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "service/verifier_store.hpp"

namespace drtm::service {

class GroupCommit {
  public:
    // Writes a batch (at most `max_batch` records of distinct nodes) and
    // returns each record's outcome, in order; throws to fail them all.
    using Writer = std::function<std::vector<RecordOutcome>(const std::vector<PendingRecord>&)>;
    // Called once per record, on a writer thread, without any lock held:
    // the outcome, or the batch's error (then the outcome means nothing).
    // It must not throw (it runs on the writer's own thread), and should
    // return quickly: the next batch waits for it.
    using Done = std::function<void(RecordOutcome, std::exception_ptr)>;

    GroupCommit(Writer write, std::size_t max_batch, std::size_t writers);
    // Writes what is still queued, then stops the writers.
    ~GroupCommit();
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    void record_async(PendingRecord record, Done done);
    // Blocks until the record's batch is written; rethrows the batch's error.
    RecordOutcome record(PendingRecord record);

    struct Stats {
        std::size_t batches = 0;
        std::size_t records = 0;
        std::size_t largest_batch = 0;
        std::size_t queued = 0;  // records waiting for a writer now
    };
    Stats stats() const;

  private:
    struct Queued {
        PendingRecord record;
        Done done;
    };
    void write_loop();

    Writer write_;
    std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::condition_variable work_;
    std::deque<Queued> queue_;
    bool stopping_ = false;
    Stats stats_;
    std::vector<std::thread> writers_;  // last: started once the rest exists
};

}  // namespace drtm::service
