// Internal: one parse function per log layout. Each walks `input` through a
// binary::Reader whose base keeps offsets absolute, fills the builder, and
// returns where the records ended.
#pragma once

#include <cstddef>
#include <optional>

#include "eventlog/log_builder.hpp"
#include "eventlog/parse.hpp"

namespace drtm::eventlog {

struct LogEnd {
    std::size_t offset = 0;  // absolute
    EndReason reason = EndReason::end_of_input;
};

// A bound on the records imposed from outside the log itself: the heap's
// NextRecordOffset, or ParseOptions::end_offset. Absolute offset.
struct ExternalEnd {
    std::size_t offset = 0;
    EndReason reason = EndReason::given_end;
};

// The log occupies input[log_offset, log_limit).
LogEnd parse_crypto_agile(LogBuilder& b, std::size_t log_offset, std::size_t log_limit,
                          std::optional<ExternalEnd> external);
LogEnd parse_sha1(LogBuilder& b, std::optional<ExternalEnd> external);
LogEnd parse_txt_container(LogBuilder& b, std::size_t container_offset);
LogEnd parse_skl_tpm12(LogBuilder& b);
LogEnd parse_bare_event2(LogBuilder& b, const ParseOptions& options,
                         std::optional<ExternalEnd> external);

}  // namespace drtm::eventlog
