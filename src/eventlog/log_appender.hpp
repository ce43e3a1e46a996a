// Appending events to a log that already lives in a buffer: the DLME adds
// its measurements after the DCE's, in place, as Linux and Xen do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "eventlog/event.hpp"
#include "eventlog/event_log.hpp"
#include "eventlog/spec_id.hpp"

namespace drtm::eventlog {

// The allocation cannot take the record. The log is left unchanged.
class LogFull : public std::runtime_error {
  public:
    LogFull(std::size_t offset, std::size_t needed, std::size_t available);
    std::size_t offset() const noexcept { return offset_; }
    std::size_t needed() const noexcept { return needed_; }
    std::size_t available() const noexcept { return available_; }

  private:
    std::size_t offset_, needed_, available_;
};

class LogAppender {
  public:
    // `log` is the whole allocation. Its format is detected and parsed to find
    // the end (which throws binary::ParseError on a malformed log).
    //
    // `heap_pointer`, when given, is the 20-byte body of the TXT heap's type-8
    // element for this log (Intel): its NextRecordOffset marks the end and is
    // advanced with each append, and AllocatedEventContainerSize bounds it.
    explicit LogAppender(std::span<std::uint8_t> log, std::span<std::uint8_t> heap_pointer = {});

    // Writes the record at the end, advances the format's "next" field(s) and
    // returns the record's offset. Throws LogFull, or std::invalid_argument
    // when the event does not fit the log's algorithms.
    std::size_t append(const Event& e);

    LogFormat format() const noexcept { return format_; }
    std::size_t end_offset() const noexcept { return end_; }
    std::size_t limit() const noexcept { return limit_; }
    std::size_t free_space() const noexcept { return limit_ - end_; }

  private:
    std::span<std::uint8_t> log_;
    std::span<std::uint8_t> heap_pointer_;
    LogFormat format_ = LogFormat::crypto_agile;
    std::vector<AlgorithmSize> algorithms_;
    std::size_t end_ = 0;
    std::size_t limit_ = 0;
    // Field to rewrite after each append, and the origin its value counts from.
    std::optional<std::size_t> next_field_;
    std::size_t next_field_origin_ = 0;
};

}  // namespace drtm::eventlog
