// The one place where a launch stage turns bytes into a TPM extend and a log
// record. Every stage (CPU, DCE, DLME) goes through it, so "what was
// extended" and "what was logged" cannot drift apart except where a real
// stage makes them differ (SKL logs the SKINIT measurement without extending
// it; Linux logs markers it never extends).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"
#include "eventlog/event.hpp"
#include "launch/pcr_target.hpp"

namespace drtm::launch {

using binary::Bytes;
using binary::ByteView;
using crypto::HashAlg;

// A record as the DCE/DLME writes it into the DRTM event log.
struct LogRecord {
    std::uint32_t pcr = 0;
    std::uint32_t type = 0;
    std::vector<std::pair<HashAlg, Bytes>> digests;  // in log-header order
    Bytes data;
    // Not part of the log: who produced it, for the summary and the docs.
    std::string stage;
    std::uint8_t locality = 0;
    bool extended = false;
};

// The record as the log carries it.
eventlog::Event to_event(const LogRecord& r);

// [{"stage", "pcr", "type", "label", "data", "locality", "extended", "digests"}]
nlohmann::json records_to_json(const std::vector<LogRecord>& records);

class Measurer {
  public:
    Measurer(PcrTarget& target, std::vector<HashAlg> log_banks);

    // Hash `measured` in every log bank, extend `pcr` at `locality`, and log
    // the record with `event_data` (usually the ASCII label, no NUL).
    void measure(const std::string& stage, std::uint8_t locality, std::uint32_t pcr,
                 std::uint32_t type, ByteView event_data, ByteView measured);
    // As above with digests already computed (SINIT's MLE hash, ...).
    void measure_digests(const std::string& stage, std::uint8_t locality, std::uint32_t pcr,
                         std::uint32_t type, ByteView event_data,
                         std::vector<std::pair<HashAlg, Bytes>> digests);
    // Log without extending: SKL's SKINIT record (the CPU already extended
    // it) and Linux's zero-digest start/end markers.
    void log_only(const std::string& stage, std::uint32_t pcr, std::uint32_t type,
                  ByteView event_data, std::vector<std::pair<HashAlg, Bytes>> digests);

    // Extend banks the stage cannot hash with OneDigest, without a log
    // record (what SINIT does with EVTYPE_CAP_VALUE).
    void cap_other_banks(std::uint8_t locality, std::uint32_t pcr,
                         const std::vector<HashAlg>& tpm_banks);

    std::vector<std::pair<HashAlg, Bytes>> digests_of(ByteView measured) const;
    const std::vector<HashAlg>& log_banks() const noexcept { return log_banks_; }
    const std::vector<LogRecord>& records() const noexcept { return records_; }
    std::vector<LogRecord>& records() noexcept { return records_; }

  private:
    PcrTarget& target_;
    std::vector<HashAlg> log_banks_;
    std::vector<LogRecord> records_;
};

}  // namespace drtm::launch
