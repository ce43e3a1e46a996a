#include "eventlog/log_appender.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "binary/error.hpp"
#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "eventlog/log_writer.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/txt_structures.hpp"

namespace drtm::eventlog {

namespace {

void put_u32le(std::span<std::uint8_t> buf, std::size_t pos, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) buf[pos + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace

LogFull::LogFull(std::size_t offset, std::size_t needed, std::size_t available)
    : std::runtime_error("event log full: the record at " + binary::format_offset(offset) +
                         " needs " + std::to_string(needed) + " bytes, " +
                         std::to_string(available) + " left"),
      offset_(offset),
      needed_(needed),
      available_(available) {}

LogAppender::LogAppender(std::span<std::uint8_t> log, std::span<std::uint8_t> heap_pointer)
    : log_(log), heap_pointer_(heap_pointer) {
    ParseOptions options;
    std::optional<TxtLogPointer> external;
    if (!heap_pointer.empty()) {
        if (heap_pointer.size() != txt_log_pointer_size)
            throw std::invalid_argument("heap log pointer must be the 20-byte type-8 element body");
        binary::Reader r(heap_pointer);
        external = parse_txt_log_pointer(r);
        if (external->first_record_offset != 0)
            throw std::invalid_argument(
                "heap log pointer: FirstRecordOffset must be 0 (the log span starts at "
                "PhysicalAddress)");
        options.format = InputFormat::crypto_agile;
        options.end_offset = external->next_record_offset;
    }
    EventLog parsed = parse_event_log(binary::ByteView(log.data(), log.size()), options);
    format_ = parsed.format();
    algorithms_ = parsed.algorithms();
    end_ = parsed.end_offset();
    limit_ = log.size();

    switch (format_) {
        case LogFormat::crypto_agile:
            if (external) {
                limit_ = std::min<std::size_t>(limit_, external->allocated_size);
            } else if (parsed.txt_log_pointer()) {
                // SKL: the pointer body sits in vendorInfo, after the header
                // record's 32 bytes and the Spec ID fields before it.
                const SpecIdEvent& spec = *parsed.spec_id();
                const std::size_t vendor = 32 + encoded_size(spec) - spec.vendor_info.size();
                next_field_ = vendor + txt_log_pointer_next_field;
                next_field_origin_ = 0;
                limit_ = std::min<std::size_t>(limit_, parsed.txt_log_pointer()->allocated_size);
            }
            break;
        case LogFormat::txt_container:
        case LogFormat::skl_tpm12: {
            const TxtContainerInfo& c = *parsed.txt_container();
            next_field_ = c.offset + txt_container_next_field;
            next_field_origin_ = c.offset;
            limit_ = std::min<std::size_t>(limit_, c.offset + std::size_t{c.header.container_size});
            break;
        }
        case LogFormat::sha1:
        case LogFormat::bare_event2:
            break;
    }
    if (end_ > limit_)
        throw binary::ParseError(
            end_, "the log already runs past its allocated size " + binary::format_offset(limit_));
}

std::size_t LogAppender::append(const Event& e) {
    binary::Writer w;
    const bool event2 = format_ == LogFormat::crypto_agile || format_ == LogFormat::bare_event2;
    if (event2)
        encode_pcr_event2(w, e, algorithms_);
    else
        encode_pcr_event(w, e);
    if (w.size() > limit_ - end_) throw LogFull(end_, w.size(), limit_ - end_);

    const std::size_t at = end_;
    std::memcpy(log_.data() + at, w.data().data(), w.size());
    end_ += w.size();
    if (next_field_)
        put_u32le(log_, *next_field_, static_cast<std::uint32_t>(end_ - next_field_origin_));
    if (!heap_pointer_.empty())
        put_u32le(heap_pointer_, txt_log_pointer_next_field, static_cast<std::uint32_t>(end_));
    return at;
}

}  // namespace drtm::eventlog
