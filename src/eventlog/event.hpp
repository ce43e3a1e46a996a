// One log record, in two shapes:
//  - EventView: what the parser produces. It points into the bytes the
//    EventLog owns, so parsing a large log allocates nothing per event.
//  - Event: an owning copy, what the writers and the appender take.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"

namespace drtm::eventlog {

using binary::Bytes;
using binary::ByteView;

// One digest of a record. alg_id is the raw TPM_ALG_ID: a log may carry an
// algorithm drtm cannot hash, and it must still be shown and skipped.
struct DigestView {
    std::uint16_t alg_id = 0;
    ByteView bytes;
};

struct EventView {
    std::size_t index = 0;   // position in the log (0 is the Spec ID header record, if any)
    std::size_t offset = 0;  // offset of the record in the parsed input (for xxd)
    std::size_t size = 0;    // bytes the record occupies
    std::uint32_t pcr = 0;
    std::uint32_t type = 0;
    std::span<const DigestView> digests;
    ByteView data;

    // The digest for one algorithm, or nullptr when the record has none.
    const DigestView* find_digest(std::uint16_t alg_id) const noexcept {
        for (const DigestView& d : digests)
            if (d.alg_id == alg_id) return &d;
        return nullptr;
    }
};

struct Digest {
    std::uint16_t alg_id = 0;
    Bytes bytes;

    bool operator==(const Digest&) const = default;
};

struct Event {
    std::uint32_t pcr = 0;
    std::uint32_t type = 0;
    std::vector<Digest> digests;
    Bytes data;

    bool operator==(const Event&) const = default;
};

Event to_event(const EventView& view);

// An event whose digests are H_b(measured) for each bank b, and whose data is
// `data`. This is how every DRTM stage logs: SKL hashes the DLME and logs the
// label "DLME"; SINIT hashes the SINIT ACM and logs hash ‖ flags.
Event measure_event(std::uint32_t pcr, std::uint32_t type, std::span<const crypto::HashAlg> banks,
                    ByteView measured, ByteView data);
Event measure_event(std::uint32_t pcr, std::uint32_t type, std::span<const crypto::HashAlg> banks,
                    ByteView measured, std::string_view label);

}  // namespace drtm::eventlog
