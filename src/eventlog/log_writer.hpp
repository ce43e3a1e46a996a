// Serialising records and whole logs. Everything written here parses back
// with parse_event_log and is accepted by tpm2_eventlog (PCRs 0–23).
#pragma once

#include <cstddef>
#include <span>

#include "binary/bytes.hpp"
#include "binary/writer.hpp"
#include "eventlog/event.hpp"
#include "eventlog/spec_id.hpp"

namespace drtm::eventlog {

// TCG_PCR_EVENT: the event must carry exactly one digest, a 20-byte SHA-1.
void encode_pcr_event(binary::Writer& w, const Event& e);
std::size_t encoded_size_pcr_event(const Event& e);

// TCG_PCR_EVENT2: every digest must be of an algorithm in `algs`, with that
// size, at most once. At least one digest is required: a record with none
// reads as the end of a zero-padded DRTM log.
void encode_pcr_event2(binary::Writer& w, const Event& e, std::span<const AlgorithmSize> algs);
std::size_t encoded_size_pcr_event2(const Event& e);

// The TCG_PCR_EVENT that opens a crypto-agile log: PCR 0, EV_NO_ACTION,
// zero digest, the Spec ID structure as data.
void encode_spec_id_record(binary::Writer& w, const SpecIdEvent& header);

// A crypto-agile log: header record, then the events.
binary::Bytes write_crypto_agile_log(const SpecIdEvent& header, std::span<const Event> events);

// A TPM 1.2 style log of TCG_PCR_EVENT records.
binary::Bytes write_sha1_log(std::span<const Event> events);

}  // namespace drtm::eventlog
