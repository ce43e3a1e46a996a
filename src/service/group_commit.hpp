// Group commit for the verifier's attestation records. Each request thread
// hands in its appraisal and waits; whichever thread finds no write under way
// (up to `writers` at once) writes everything queued so far, its own included,
// in one batch. Under load a batch gathers the records that arrived while
// the previous one was being written, so transactions, round trips and WAL
// flushes are paid per batch, not per attestation; alone, a record is written
// at once, as without batching.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include "service/verifier_store.hpp"

namespace drtm::service {

class GroupCommit {
  public:
    // Writes a batch (at most `max_batch` records of distinct nodes) and
    // returns each record's outcome, in order; throws to fail them all.
    using Writer = std::function<std::vector<RecordOutcome>(const std::vector<PendingRecord>&)>;

    GroupCommit(Writer write, std::size_t max_batch, std::size_t writers);

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
    struct Waiter {
        PendingRecord record;
        RecordOutcome outcome = RecordOutcome::stored;
        std::exception_ptr error;
        bool done = false;
        // Its own: a finished batch wakes its callers and the next writer
        // only, not every thread that is waiting.
        std::condition_variable wake;
    };
    void write_batch(std::unique_lock<std::mutex>& lock);

    Writer write_;
    std::size_t max_batch_;
    std::size_t writers_;
    mutable std::mutex mutex_;
    std::deque<Waiter*> queue_;
    std::size_t writing_ = 0;
    Stats stats_;
};

}  // namespace drtm::service
