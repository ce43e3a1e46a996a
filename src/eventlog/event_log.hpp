// A parsed event log: its format, its header structures, and its records as
// views into bytes the log owns.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "binary/bytes.hpp"
#include "eventlog/event.hpp"
#include "eventlog/spec_id.hpp"
#include "eventlog/txt_heap_info.hpp"
#include "eventlog/txt_structures.hpp"

namespace drtm::eventlog {

enum class LogFormat {
    crypto_agile,   // TCG_PCR_EVENT "Spec ID Event03" header, then TCG_PCR_EVENT2
    sha1,           // TPM 1.2 style: TCG_PCR_EVENT records only
    txt_container,  // "TXT Event Container" header, then TCG_PCR_EVENT records
    skl_tpm12,      // SKL TPM 1.2: "Spec ID Event00" whose vendorInfo is a TXT container
    bare_event2,    // TCG_PCR_EVENT2 records without any header (a fragment)
};

std::string_view format_name(LogFormat f);

// Why parsing stopped where it did.
enum class EndReason {
    end_of_input,  // the records filled the buffer exactly
    padding,       // an empty record (digest count 0, all-zero or all-0xFF) or a short 0/FF tail
    next_record_offset,  // TXT pointer element (vendorInfo or heap type 8)
    next_event_offset,   // TXT Event Container header
    given_end,           // ParseOptions::end_offset
};

std::string_view end_reason_name(EndReason r);

// Where the TXT Event Container sits, for the txt_container and skl_tpm12 formats.
struct TxtContainerInfo {
    std::size_t offset = 0;  // of the container header in the parsed input
    TxtContainerHeader header;
};

class EventLog {
  public:
    // Move-only: events view into storage the log owns.
    EventLog(EventLog&&) noexcept = default;
    EventLog& operator=(EventLog&&) noexcept = default;
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    LogFormat format() const noexcept { return format_; }
    // The whole parsed input; EventView offsets index into it.
    binary::ByteView input() const noexcept { return *input_; }
    std::size_t log_offset() const noexcept { return log_offset_; }  // first byte of the log
    std::size_t end_offset() const noexcept { return end_offset_; }  // just after the last record
    // The log without what surrounds it (padding, a heap): what `drtm log
    // trim` writes and tools such as tpm2_eventlog read.
    binary::ByteView log_bytes() const noexcept {
        return input().subspan(log_offset_, end_offset_ - log_offset_);
    }
    EndReason end_reason() const noexcept { return end_reason_; }

    // Digest sizes records are parsed with: the Spec ID header's list for
    // crypto-agile logs, {sha1, 20} for TCG_PCR_EVENT formats.
    const std::vector<AlgorithmSize>& algorithms() const noexcept { return algorithms_; }
    const std::optional<SpecIdEvent>& spec_id() const noexcept { return spec_id_; }
    const std::optional<SpecIdEvent00>& spec_id00() const noexcept { return spec_id00_; }
    // The type-8 pointer, from the Spec ID vendorInfo (SKL) or from the heap.
    const std::optional<TxtLogPointer>& txt_log_pointer() const noexcept { return log_pointer_; }
    const std::optional<TxtContainerInfo>& txt_container() const noexcept { return container_; }
    const std::optional<TxtHeapInfo>& txt_heap() const noexcept { return heap_; }
    // Things a reader should know that did not stop the parse.
    const std::vector<std::string>& notes() const noexcept { return notes_; }

    std::span<const EventView> events() const noexcept { return events_; }
    std::size_t size() const noexcept { return events_.size(); }
    const EventView& operator[](std::size_t i) const { return events_[i]; }

    std::vector<Event> to_events() const;

  private:
    EventLog() = default;
    friend class LogBuilder;

    LogFormat format_ = LogFormat::crypto_agile;
    std::shared_ptr<const binary::Bytes> input_;
    std::size_t log_offset_ = 0;
    std::size_t end_offset_ = 0;
    EndReason end_reason_ = EndReason::end_of_input;
    std::vector<AlgorithmSize> algorithms_;
    std::optional<SpecIdEvent> spec_id_;
    std::optional<SpecIdEvent00> spec_id00_;
    std::optional<TxtLogPointer> log_pointer_;
    std::optional<TxtContainerInfo> container_;
    std::optional<TxtHeapInfo> heap_;
    std::vector<std::string> notes_;
    std::vector<DigestView> digests_;  // EventView::digests point here
    std::vector<EventView> events_;
};

}  // namespace drtm::eventlog
