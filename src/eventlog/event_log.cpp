#include "eventlog/event_log.hpp"

#include <algorithm>

#include "eventlog/log_builder.hpp"

namespace drtm::eventlog {

std::string_view format_name(LogFormat f) {
    switch (f) {
        case LogFormat::crypto_agile:
            return "crypto-agile";
        case LogFormat::sha1:
            return "sha1";
        case LogFormat::txt_container:
            return "txt-container";
        case LogFormat::skl_tpm12:
            return "skl-tpm12";
        case LogFormat::bare_event2:
            return "bare-event2";
    }
    return "unknown";
}

std::string_view end_reason_name(EndReason r) {
    switch (r) {
        case EndReason::end_of_input:
            return "end of input";
        case EndReason::padding:
            return "padding";
        case EndReason::next_record_offset:
            return "NextRecordOffset";
        case EndReason::next_event_offset:
            return "next_event_offset";
        case EndReason::given_end:
            return "given end offset";
    }
    return "unknown";
}

std::vector<Event> EventLog::to_events() const {
    std::vector<Event> out;
    out.reserve(events_.size());
    for (const EventView& v : events_) out.push_back(to_event(v));
    return out;
}

LogBuilder::LogBuilder(std::shared_ptr<const binary::Bytes> input, LogFormat format) {
    log_.input_ = std::move(input);
    log_.format_ = format;
}

void LogBuilder::reserve_for(std::size_t bytes) {
    // A two-bank TCG_PCR_EVENT2 with a short label is ~80 bytes; one-bank
    // SHA-1 records are >= 32. Over-reserving a little is cheaper than
    // regrowth; the cap keeps a huge padded buffer from reserving gigabytes.
    constexpr std::size_t max_reserved_events = std::size_t{1} << 22;
    const std::size_t events = std::min(bytes / 64 + 1, max_reserved_events);
    log_.events_.reserve(events);
    first_digest_.reserve(events);
    log_.digests_.reserve(events * 2);
}

void LogBuilder::add_event(std::size_t offset, std::size_t size, std::uint32_t pcr,
                           std::uint32_t type, binary::ByteView data, std::size_t first_digest) {
    EventView v;
    v.index = log_.events_.size();
    v.offset = offset;
    v.size = size;
    v.pcr = pcr;
    v.type = type;
    v.data = data;
    log_.events_.push_back(v);
    first_digest_.push_back(first_digest);
}

EventLog LogBuilder::finish(std::size_t end_offset, EndReason reason) {
    log_.end_offset_ = end_offset;
    log_.end_reason_ = reason;
    const std::size_t n = log_.events_.size();
    const DigestView* base = log_.digests_.data();
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t first = first_digest_[i];
        std::size_t last = i + 1 < n ? first_digest_[i + 1] : log_.digests_.size();
        log_.events_[i].digests = std::span<const DigestView>(base + first, last - first);
    }
    first_digest_.clear();
    return std::move(log_);
}

}  // namespace drtm::eventlog
