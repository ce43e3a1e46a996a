// Internal: assembles an EventLog while a parser walks the input. Digests are
// appended to one flat vector; the spans in each EventView are set in
// finish(), once that vector has stopped growing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eventlog/event_log.hpp"

namespace drtm::eventlog {

class LogBuilder {
  public:
    LogBuilder(std::shared_ptr<const binary::Bytes> input, LogFormat format);

    binary::ByteView input() const noexcept { return *log_.input_; }
    const binary::Bytes& input_bytes() const noexcept { return *log_.input_; }

    void set_format(LogFormat f) { log_.format_ = f; }
    void set_log_offset(std::size_t off) { log_.log_offset_ = off; }
    void set_algorithms(std::vector<AlgorithmSize> a) { log_.algorithms_ = std::move(a); }
    void set_spec_id(SpecIdEvent s) { log_.spec_id_ = std::move(s); }
    void set_spec_id00(SpecIdEvent00 s) { log_.spec_id00_ = std::move(s); }
    void set_log_pointer(const TxtLogPointer& p) { log_.log_pointer_ = p; }
    void set_container(const TxtContainerInfo& c) { log_.container_ = c; }
    void set_heap(TxtHeapInfo h) { log_.heap_ = std::move(h); }
    void note(std::string text) { log_.notes_.push_back(std::move(text)); }

    const std::vector<AlgorithmSize>& algorithms() const noexcept { return log_.algorithms_; }

    // Sizing from the input length avoids most regrowth on big logs.
    void reserve_for(std::size_t bytes);

    std::size_t digest_count() const noexcept { return log_.digests_.size(); }
    void add_digest(std::uint16_t alg_id, binary::ByteView bytes) {
        log_.digests_.push_back(DigestView{alg_id, bytes});
    }
    const DigestView& digest(std::size_t i) const { return log_.digests_[i]; }

    // Digests [first_digest, digest_count()) belong to this event.
    void add_event(std::size_t offset, std::size_t size, std::uint32_t pcr, std::uint32_t type,
                   binary::ByteView data, std::size_t first_digest);

    std::size_t event_count() const noexcept { return log_.events_.size(); }

    EventLog finish(std::size_t end_offset, EndReason reason);

  private:
    EventLog log_;
    std::vector<std::size_t> first_digest_;  // per event, index into digests_
};

}  // namespace drtm::eventlog
