#include "eventlog/log_writer.hpp"

#include <limits>
#include <stdexcept>
#include <string>

#include "eventlog/event_types.hpp"

namespace drtm::eventlog {

namespace {

constexpr std::uint16_t sha1_id = 0x0004;

void check_data_size(const Event& e) {
    if (e.data.size() > std::numeric_limits<std::uint32_t>::max())
        throw std::invalid_argument("event data larger than 4 GiB");
}

}  // namespace

std::size_t encoded_size_pcr_event(const Event& e) {
    return 32 + e.data.size();
}

void encode_pcr_event(binary::Writer& w, const Event& e) {
    if (e.digests.size() != 1 || e.digests[0].alg_id != sha1_id || e.digests[0].bytes.size() != 20)
        throw std::invalid_argument(
            "a TCG_PCR_EVENT carries exactly one SHA-1 digest; this event has " +
            std::to_string(e.digests.size()) + " digest(s)");
    check_data_size(e);
    w.u32le(e.pcr);
    w.u32le(e.type);
    w.bytes(e.digests[0].bytes);
    w.u32le(static_cast<std::uint32_t>(e.data.size()));
    w.bytes(e.data);
}

std::size_t encoded_size_pcr_event2(const Event& e) {
    std::size_t n = 12 + 4 + e.data.size();
    for (const Digest& d : e.digests) n += 2 + d.bytes.size();
    return n;
}

void encode_pcr_event2(binary::Writer& w, const Event& e, std::span<const AlgorithmSize> algs) {
    if (e.digests.empty())
        throw std::invalid_argument("a TCG_PCR_EVENT2 needs at least one digest");
    if (e.digests.size() > algs.size())
        throw std::invalid_argument("event has " + std::to_string(e.digests.size()) +
                                    " digests but the log declares " + std::to_string(algs.size()) +
                                    " algorithm(s)");
    for (std::size_t i = 0; i < e.digests.size(); ++i) {
        const Digest& d = e.digests[i];
        bool declared = false;
        for (const AlgorithmSize& a : algs)
            if (a.alg_id == d.alg_id) {
                if (a.digest_size != d.bytes.size())
                    throw std::invalid_argument("digest for algorithm " + std::to_string(d.alg_id) +
                                                " is " + std::to_string(d.bytes.size()) +
                                                " bytes; the log declares " +
                                                std::to_string(a.digest_size));
                declared = true;
            }
        if (!declared)
            throw std::invalid_argument("digest algorithm " + std::to_string(d.alg_id) +
                                        " is not declared in the log header");
        for (std::size_t j = 0; j < i; ++j)
            if (e.digests[j].alg_id == d.alg_id)
                throw std::invalid_argument("digest algorithm " + std::to_string(d.alg_id) +
                                            " appears twice in one event");
    }
    check_data_size(e);
    w.u32le(e.pcr);
    w.u32le(e.type);
    w.u32le(static_cast<std::uint32_t>(e.digests.size()));
    for (const Digest& d : e.digests) {
        w.u16le(d.alg_id);
        w.bytes(d.bytes);
    }
    w.u32le(static_cast<std::uint32_t>(e.data.size()));
    w.bytes(e.data);
}

void encode_spec_id_record(binary::Writer& w, const SpecIdEvent& header) {
    w.u32le(0);
    w.u32le(tcg::ev_no_action);
    w.zeros(20);
    w.u32le(static_cast<std::uint32_t>(encoded_size(header)));
    encode_spec_id_event(w, header);
}

binary::Bytes write_crypto_agile_log(const SpecIdEvent& header, std::span<const Event> events) {
    std::size_t total = 32 + encoded_size(header);
    for (const Event& e : events) total += encoded_size_pcr_event2(e);
    binary::Writer w(total);
    encode_spec_id_record(w, header);
    for (const Event& e : events) encode_pcr_event2(w, e, header.algorithms);
    return w.take();
}

binary::Bytes write_sha1_log(std::span<const Event> events) {
    std::size_t total = 0;
    for (const Event& e : events) total += encoded_size_pcr_event(e);
    binary::Writer w(total);
    for (const Event& e : events) encode_pcr_event(w, e);
    return w.take();
}

}  // namespace drtm::eventlog
