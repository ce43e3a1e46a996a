#include "service/group_commit.hpp"

#include <algorithm>
#include <future>
#include <stdexcept>

namespace drtm::service {

GroupCommit::GroupCommit(Writer write, std::size_t max_batch, std::size_t writers)
    : write_(std::move(write)), max_batch_(max_batch) {
    if (max_batch_ == 0 || writers == 0)
        throw std::invalid_argument("group commit needs a batch size and writers of at least 1");
    for (std::size_t i = 0; i < writers; ++i) writers_.emplace_back([this] { write_loop(); });
}

GroupCommit::~GroupCommit() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_.notify_all();
    for (auto& t : writers_) t.join();
}

void GroupCommit::record_async(PendingRecord record, Done done) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back({std::move(record), std::move(done)});
    }
    work_.notify_one();
}

RecordOutcome GroupCommit::record(PendingRecord record) {
    std::promise<RecordOutcome> outcome;
    auto result = outcome.get_future();
    record_async(std::move(record), [&outcome](RecordOutcome o, std::exception_ptr error) {
        if (error)
            outcome.set_exception(error);
        else
            outcome.set_value(o);
    });
    return result.get();
}

void GroupCommit::write_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        // Stopping still writes what was handed in: each caller hears back.
        if (queue_.empty()) return;
        std::vector<Queued> batch;
        while (!queue_.empty() && batch.size() < max_batch_) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        lock.unlock();
        std::vector<PendingRecord> records;
        records.reserve(batch.size());
        // Moved, not copied (each holds its signed EAR): a caller needs only its outcome now.
        for (auto& q : batch) records.push_back(std::move(q.record));
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
        // Counted before the callers hear back, so a caller sees its own record in stats().
        ++stats_.batches;
        stats_.records += batch.size();
        stats_.largest_batch = std::max(stats_.largest_batch, batch.size());
        lock.unlock();
        for (std::size_t i = 0; i < batch.size(); ++i)
            batch[i].done(error ? RecordOutcome::stored : outcomes[i], error);
        lock.lock();
    }
}

GroupCommit::Stats GroupCommit::stats() const {
    std::lock_guard lock(mutex_);
    Stats now = stats_;
    now.queued = queue_.size();
    return now;
}

}  // namespace drtm::service
