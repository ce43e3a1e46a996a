#include "eventlog/log_formats.hpp"

#include <cstdio>
#include <string>

#include "binary/error.hpp"
#include "binary/reader.hpp"
#include "crypto/hash_alg.hpp"
#include "eventlog/event_types.hpp"
#include "eventlog/record_parser.hpp"

namespace drtm::eventlog {

namespace {

using binary::ParseError;
using binary::Reader;

std::string hex(std::size_t v) {
    return binary::format_offset(v);
}

// Records in [from, to) of the input; `to` was named by a header field, so an
// error inside says which bound the record crossed.
LogEnd parse_bounded(LogBuilder& b, std::size_t from, std::size_t to, EndReason reason, bool event2,
                     std::span<const AlgorithmSize> algs) {
    Reader r(b.input().subspan(from, to - from), from);
    RecordsEnd end;
    try {
        end = event2 ? parse_event2_records(r, algs, b) : parse_event1_records(r, b);
    } catch (const ParseError& e) {
        throw ParseError(e.offset(), e.reason() + " (the log ends at " + hex(to) + ", from its " +
                                         std::string(end_reason_name(reason)) + ")");
    }
    if (end.padding && end.position != r.size()) {
        b.note("empty record at " + hex(r.offset_of(end.position)) + " before the end " + hex(to) +
               " given by " + std::string(end_reason_name(reason)));
        return {r.offset_of(end.position), EndReason::padding};
    }
    return {to, reason};
}

LogEnd parse_open(LogBuilder& b, std::size_t from, std::size_t limit, bool event2,
                  std::span<const AlgorithmSize> algs) {
    Reader r(b.input().subspan(from, limit - from), from);
    RecordsEnd end = event2 ? parse_event2_records(r, algs, b) : parse_event1_records(r, b);
    return {r.offset_of(end.position), end.padding ? EndReason::padding : EndReason::end_of_input};
}

void check_external(const ExternalEnd& e, std::size_t from, std::size_t limit) {
    if (e.offset < from || e.offset > limit)
        throw ParseError(e.offset, "the records' end " + hex(e.offset) + " (" +
                                       std::string(end_reason_name(e.reason)) +
                                       ") lies outside the log [" + hex(from) + ", " + hex(limit) +
                                       ")");
}

void note_unhashable_algorithms(LogBuilder& b, const SpecIdEvent& spec) {
    for (const AlgorithmSize& a : spec.algorithms) {
        if (crypto::alg_from_id(a.alg_id)) continue;
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "algorithm 0x%04x (%u-byte digests) is not one drtm can hash; its digests "
                      "are kept but not replayed",
                      a.alg_id, a.digest_size);
        b.note(buf);
    }
}

// The Spec ID record should be PCR 0, EV_NO_ACTION; Linux only checks the
// signature, so anything else is worth saying but not fatal.
void note_unusual_header_record(LogBuilder& b, const Reader& r) {
    binary::ByteView head = r.peek(8, "TCG_PCR_EVENT header record");
    Reader h(head, r.offset());
    const std::uint32_t pcr = h.u32le();
    const std::uint32_t type = h.u32le();
    if (pcr != 0 || type != tcg::ev_no_action)
        b.note("the Spec ID header record is PCR " + std::to_string(pcr) + ", " +
               event_type_name(type) + " (expected PCR 0, EV_NO_ACTION)");
}

const std::vector<AlgorithmSize>& sha1_only() {
    static const std::vector<AlgorithmSize> algs{{0x0004, 20}};
    return algs;
}

}  // namespace

LogEnd parse_crypto_agile(LogBuilder& b, std::size_t log_offset, std::size_t log_limit,
                          std::optional<ExternalEnd> external) {
    b.set_format(LogFormat::crypto_agile);
    b.set_log_offset(log_offset);
    Reader r(b.input().subspan(log_offset, log_limit - log_offset), log_offset);

    note_unusual_header_record(b, r);
    binary::ByteView data = parse_event1_record(r, b);
    const std::size_t data_offset = r.offset() - data.size();
    Reader spec_reader(data, data_offset);
    SpecIdEvent spec = parse_spec_id_event(spec_reader);
    if (!spec_reader.at_end())
        b.note(std::to_string(spec_reader.remaining()) +
               " byte(s) follow vendorInfo in the Spec ID event");
    note_unhashable_algorithms(b, spec);
    const std::size_t records_from = r.offset();
    const std::size_t vendor_offset = data_offset + encoded_size(spec) - spec.vendor_info.size();

    // SKL (and anything that copies it) keeps the TXT type-8 pointer body in
    // vendorInfo; its NextRecordOffset, relative to the log base, is where
    // the records end in a zero-filled allocation.
    std::optional<ExternalEnd> end = external;
    if (spec.vendor_info.size() == txt_log_pointer_size) {
        Reader vr(spec.vendor_info, vendor_offset);
        TxtLogPointer p = parse_txt_log_pointer(vr);
        if (p.first_record_offset != 0) {
            b.note("20-byte vendorInfo has FirstRecordOffset " + hex(p.first_record_offset) +
                   ", so it is not read as a TXT log pointer");
        } else {
            const std::size_t next_field = vendor_offset + txt_log_pointer_next_field;
            const std::size_t header_size = records_from - log_offset;
            if (p.next_record_offset < header_size)
                throw ParseError(next_field, "NextRecordOffset " + hex(p.next_record_offset) +
                                                 " points inside the log header (" +
                                                 hex(header_size) + " bytes)");
            if (p.next_record_offset > log_limit - log_offset)
                throw ParseError(next_field, "NextRecordOffset " + hex(p.next_record_offset) +
                                                 " is past the end of the log buffer (" +
                                                 hex(log_limit - log_offset) + " bytes)");
            if (p.next_record_offset > p.allocated_size)
                throw ParseError(next_field, "NextRecordOffset " + hex(p.next_record_offset) +
                                                 " is past AllocatedEventContainerSize " +
                                                 hex(p.allocated_size));
            b.set_log_pointer(p);
            if (!end)
                end = ExternalEnd{log_offset + p.next_record_offset, EndReason::next_record_offset};
        }
    }
    b.set_algorithms(spec.algorithms);
    b.set_spec_id(std::move(spec));

    if (end) {
        check_external(*end, records_from, log_limit);
        return parse_bounded(b, records_from, end->offset, end->reason, true, b.algorithms());
    }
    return parse_open(b, records_from, log_limit, true, b.algorithms());
}

LogEnd parse_sha1(LogBuilder& b, std::optional<ExternalEnd> external) {
    b.set_format(LogFormat::sha1);
    b.set_algorithms(sha1_only());
    const std::size_t limit = b.input().size();
    if (external) {
        check_external(*external, 0, limit);
        return parse_bounded(b, 0, external->offset, external->reason, false, {});
    }
    return parse_open(b, 0, limit, false, {});
}

namespace {

// Shared by the plain container and SKL's embedded one: validates the
// header's offsets against the input and parses the records between them.
LogEnd parse_container_records(LogBuilder& b, std::size_t container_offset,
                               const TxtContainerHeader& h, std::size_t records_min) {
    const std::size_t input_size = b.input().size();
    const std::size_t next_field = container_offset + txt_container_next_field;
    const std::size_t from = container_offset + h.pcr_events_offset;
    const std::size_t to = container_offset + h.next_event_offset;
    if (from < records_min)
        throw ParseError(container_offset + 0x28, "pcr_events_offset " + hex(h.pcr_events_offset) +
                                                      " points inside the log header");
    if (to > input_size)
        throw ParseError(next_field, "next_event_offset " + hex(h.next_event_offset) +
                                         " is past the end of the input (" +
                                         hex(input_size - container_offset) +
                                         " bytes from the container)");
    if (h.next_event_offset > h.container_size)
        throw ParseError(next_field, "next_event_offset " + hex(h.next_event_offset) +
                                         " is past container_size " + hex(h.container_size));
    b.set_container(TxtContainerInfo{container_offset, h});
    b.set_algorithms(sha1_only());
    return parse_bounded(b, from, to, EndReason::next_event_offset, false, {});
}

}  // namespace

LogEnd parse_txt_container(LogBuilder& b, std::size_t container_offset) {
    b.set_format(LogFormat::txt_container);
    b.set_log_offset(container_offset);
    Reader r(b.input().subspan(container_offset), container_offset);
    TxtContainerHeader h = parse_txt_container_header(r);
    return parse_container_records(b, container_offset, h,
                                   container_offset + txt_container_header_size);
}

LogEnd parse_skl_tpm12(LogBuilder& b) {
    b.set_format(LogFormat::skl_tpm12);
    Reader r(b.input());
    note_unusual_header_record(b, r);
    binary::ByteView data = parse_event1_record(r, b);
    const std::size_t data_offset = r.offset() - data.size();
    Reader spec_reader(data, data_offset);
    SpecIdEvent00 spec = parse_spec_id_event00(spec_reader);
    // The container header is the vendorInfo: offset 25 of the Spec ID data.
    const std::size_t container_offset = data_offset + 25;
    if (spec.vendor_info.size() < txt_container_header_size)
        throw ParseError(data_offset + 24, "vendorInfoSize " +
                                               std::to_string(spec.vendor_info.size()) +
                                               " is too small for the 48-byte TXT Event Container");
    Reader cr(spec.vendor_info, container_offset);
    TxtContainerHeader h = parse_txt_container_header(cr);
    b.set_spec_id00(std::move(spec));
    return parse_container_records(b, container_offset, h, r.offset());
}

LogEnd parse_bare_event2(LogBuilder& b, const ParseOptions& options,
                         std::optional<ExternalEnd> external) {
    b.set_format(LogFormat::bare_event2);
    if (options.bare_algorithms.empty()) {
        std::vector<AlgorithmSize> algs;
        for (crypto::HashAlg a : crypto::known_algs())
            algs.push_back({crypto::alg_id(a), static_cast<std::uint16_t>(crypto::digest_size(a))});
        b.set_algorithms(std::move(algs));
    } else {
        b.set_algorithms(options.bare_algorithms);
    }
    const std::size_t limit = b.input().size();
    if (external) {
        check_external(*external, 0, limit);
        return parse_bounded(b, 0, external->offset, external->reason, true, b.algorithms());
    }
    return parse_open(b, 0, limit, true, b.algorithms());
}

}  // namespace drtm::eventlog
