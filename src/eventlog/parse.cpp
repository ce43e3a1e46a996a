#include "eventlog/parse.hpp"

#include <cstring>
#include <memory>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "eventlog/log_builder.hpp"
#include "eventlog/log_formats.hpp"
#include "eventlog/spec_id.hpp"
#include "eventlog/txt_heap.hpp"

namespace drtm::eventlog {

namespace {

struct FormatName {
    InputFormat format;
    std::string_view name;
};
constexpr FormatName format_names[] = {
    {InputFormat::auto_detect, "auto"},    {InputFormat::crypto_agile, "crypto-agile"},
    {InputFormat::sha1, "sha1"},           {InputFormat::txt_container, "txt-container"},
    {InputFormat::skl_tpm12, "skl-tpm12"}, {InputFormat::bare_event2, "bare-event2"},
    {InputFormat::txt_heap, "txt-heap"},   {InputFormat::txt_heap_image, "txt-heap-image"},
};

// A 16-byte Spec ID signature field ("...\0") at `offset`.
bool spec_signature_at(binary::ByteView in, std::size_t offset, std::string_view sig) {
    return in.size() >= offset + 16 && std::memcmp(in.data() + offset, sig.data(), 15) == 0 &&
           in[offset + 15] == 0;
}

// The Spec ID data of a TCG_PCR_EVENT header record starts at 0x20.
constexpr std::size_t header_data_at = 0x20;
// SKL's TPM 1.2 container follows 32 + 25 bytes (formats.md §4.3).
constexpr std::size_t skl_container_at = 0x39;

EventLog parse_heap(LogBuilder& b, bool image, const ParseOptions& options) {
    binary::ByteView in = b.input();
    TxtHeapInfo heap = image ? parse_txt_heap_image(in)
                             : parse_txt_heap(in, 0, in.size(), options.heap_physical_base);
    if (!heap.log_pointer) {
        if (!heap.legacy_logs.empty())
            throw binary::ParseError(heap.os_sinit_data.offset,
                                     "the heap names only legacy per-bank logs (element type 7, " +
                                         std::to_string(heap.legacy_logs.size()) +
                                         " bank(s)); drtm reads TCG-format logs (type 8)");
        throw binary::ParseError(heap.os_sinit_data.offset,
                                 "OsSinitData has no EVENT_LOG_POINTER2_1 (type 8) element");
    }
    const HeapLogLocation where = locate_heap_log(in, heap, image);
    const TxtLogPointer p = *heap.log_pointer;
    const std::size_t next_field = heap.log_pointer_offset + txt_log_pointer_next_field;
    if (p.first_record_offset > p.next_record_offset || p.next_record_offset > p.allocated_size)
        throw binary::ParseError(
            next_field, "log pointer offsets out of order: FirstRecordOffset " +
                            binary::format_offset(p.first_record_offset) + ", NextRecordOffset " +
                            binary::format_offset(p.next_record_offset) +
                            ", AllocatedEventContainerSize " +
                            binary::format_offset(p.allocated_size));
    const std::size_t limit =
        std::min(in.size(), where.offset + static_cast<std::size_t>(p.allocated_size));
    if (where.offset + p.next_record_offset > in.size())
        throw binary::ParseError(next_field, "NextRecordOffset " +
                                                 binary::format_offset(p.next_record_offset) +
                                                 " runs past the end of the input");
    for (const std::string& n : heap.notes) b.note(n);
    b.note("log located by " + where.how);
    LogEnd end = parse_crypto_agile(
        b, where.offset + p.first_record_offset, limit,
        ExternalEnd{where.offset + p.next_record_offset, EndReason::next_record_offset});
    b.set_log_pointer(p);
    b.set_heap(std::move(heap));
    return b.finish(end.offset, end.reason);
}

EventLog parse_shared(std::shared_ptr<const binary::Bytes> input, const ParseOptions& options) {
    const binary::ByteView in = *input;
    if (in.size() > kMaxLogInputBytes)
        throw binary::ParseError(0, "input of " + std::to_string(in.size()) +
                                        " bytes is larger than the " +
                                        std::to_string(kMaxLogInputBytes) + "-byte limit for logs");
    InputFormat format =
        options.format == InputFormat::auto_detect ? detect_format(in) : options.format;
    LogBuilder b(std::move(input), LogFormat::crypto_agile);
    b.reserve_for(in.size());

    std::optional<ExternalEnd> external;
    if (options.end_offset) external = ExternalEnd{*options.end_offset, EndReason::given_end};

    LogEnd end;
    switch (format) {
        case InputFormat::crypto_agile:
            end = parse_crypto_agile(b, 0, in.size(), external);
            break;
        case InputFormat::sha1:
            end = parse_sha1(b, external);
            break;
        case InputFormat::txt_container:
            end = parse_txt_container(b, 0);
            break;
        case InputFormat::skl_tpm12:
            end = parse_skl_tpm12(b);
            break;
        case InputFormat::bare_event2:
            end = parse_bare_event2(b, options, external);
            break;
        case InputFormat::txt_heap:
            return parse_heap(b, false, options);
        case InputFormat::txt_heap_image:
            return parse_heap(b, true, options);
        case InputFormat::auto_detect:
            break;  // detect_format never returns it
    }
    return b.finish(end.offset, end.reason);
}

}  // namespace

std::string_view input_format_name(InputFormat f) {
    for (const FormatName& n : format_names)
        if (n.format == f) return n.name;
    return "unknown";
}

std::optional<InputFormat> input_format_from_name(std::string_view name) {
    for (const FormatName& n : format_names)
        if (n.name == name) return n.format;
    return std::nullopt;
}

InputFormat detect_format(binary::ByteView in) {
    if (has_txt_container_signature(in)) return InputFormat::txt_container;
    if (spec_signature_at(in, header_data_at, spec_id_event03_signature))
        return InputFormat::crypto_agile;
    if (spec_signature_at(in, header_data_at, spec_id_event00_signature) &&
        in.size() > skl_container_at && has_txt_container_signature(in.subspan(skl_container_at)))
        return InputFormat::skl_tpm12;
    if (looks_like_txt_heap_image(in)) return InputFormat::txt_heap_image;
    if (looks_like_txt_heap(in)) return InputFormat::txt_heap;
    return InputFormat::sha1;
}

EventLog parse_event_log(binary::Bytes input, const ParseOptions& options) {
    return parse_shared(std::make_shared<const binary::Bytes>(std::move(input)), options);
}

EventLog parse_event_log(binary::ByteView input, const ParseOptions& options) {
    return parse_event_log(binary::Bytes(input.begin(), input.end()), options);
}

EventLog read_event_log(const std::filesystem::path& path, const ParseOptions& options) {
    return parse_event_log(binary::read_file(path, kMaxLogInputBytes, "the event log"), options);
}

}  // namespace drtm::eventlog
