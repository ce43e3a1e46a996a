#include "service/group_commit.hpp"

#include <algorithm>
#include <stdexcept>

namespace drtm::service {

GroupCommit::GroupCommit(Writer write, std::size_t max_batch, std::size_t writers)
    : write_(std::move(write)), max_batch_(max_batch), writers_(writers) {
    if (max_batch_ == 0 || writers_ == 0)
        throw std::invalid_argument("group commit needs a batch size and writers of at least 1");
}

RecordOutcome GroupCommit::record(PendingRecord record) {
    Waiter me;
    me.record = std::move(record);
    std::unique_lock lock(mutex_);
    queue_.push_back(&me);
    while (!me.done) {
        if (writing_ < writers_ && !queue_.empty())
            write_batch(lock);
        else
            me.wake.wait(lock);
    }
    if (me.error) std::rethrow_exception(me.error);
    return me.outcome;
}

// Called with the lock held; writes the oldest queued records without it.
void GroupCommit::write_batch(std::unique_lock<std::mutex>& lock) {
    std::vector<Waiter*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
    }
    ++writing_;
    // Another writer may start on what is left.
    if (writing_ < writers_ && !queue_.empty()) queue_.front()->wake.notify_one();
    lock.unlock();
    std::vector<PendingRecord> records;
    records.reserve(batch.size());
    // Moved, not copied (each holds its signed EAR): a waiter needs only its outcome now.
    for (auto* w : batch) records.push_back(std::move(w->record));
    std::exception_ptr error;
    std::vector<RecordOutcome> outcomes;
    try {
        outcomes = write_(records);
        if (outcomes.size() != batch.size())
            throw std::logic_error("the record writer returned the wrong number of outcomes");
    } catch (...) {
        error = std::current_exception();
    }
    lock.lock();
    --writing_;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (error)
            batch[i]->error = error;
        else
            batch[i]->outcome = outcomes[i];
        batch[i]->done = true;
        batch[i]->wake.notify_one();
    }
    // Whoever is first in line writes the next batch.
    if (!queue_.empty()) queue_.front()->wake.notify_one();
    ++stats_.batches;
    stats_.records += batch.size();
    stats_.largest_batch = std::max(stats_.largest_batch, batch.size());
}

GroupCommit::Stats GroupCommit::stats() const {
    std::lock_guard lock(mutex_);
    Stats now = stats_;
    now.queued = queue_.size();
    return now;
}

}  // namespace drtm::service
