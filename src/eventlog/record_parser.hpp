// Internal: the hot loops that walk TCG_PCR_EVENT and TCG_PCR_EVENT2 records.
#pragma once

#include <cstddef>
#include <span>

#include "binary/reader.hpp"
#include "eventlog/log_builder.hpp"
#include "eventlog/spec_id.hpp"

namespace drtm::eventlog {

struct RecordsEnd {
    std::size_t position = 0;  // relative to the reader
    bool padding = false;      // stopped at an empty record or a 0x00/0xFF tail
};

// Reads TCG_PCR_EVENT2 records until the reader is exhausted or an empty
// record (digest count 0, or a fixed part of all 0xFF) is found. Digest sizes
// come from `algs`; an algorithm not listed there is an error.
RecordsEnd parse_event2_records(binary::Reader& r, std::span<const AlgorithmSize> algs,
                                LogBuilder& b);

// Reads TCG_PCR_EVENT records (SHA-1 digest) the same way; a fixed part of
// all 0x00 or all 0xFF ends the log.
RecordsEnd parse_event1_records(binary::Reader& r, LogBuilder& b);

// Reads exactly one TCG_PCR_EVENT (a header record) and returns its data.
binary::ByteView parse_event1_record(binary::Reader& r, LogBuilder& b);

}  // namespace drtm::eventlog
