// Replaying a log into PCR values, per bank, and comparing them with values a
// TPM reports (measurements.md §1; real-logs/README.md "Replay rules").
//
// Rules:
//  - PCRs 17–22 start at 0: a dynamic launch reset them. (With
//    dynamic_launch = false they start at 0xFF…FF, as after TPM2_Startup.)
//  - PCR 0 starts at 00…0L when an EV_NO_ACTION "StartupLocality" event says
//    locality L; every other PCR starts at 0.
//  - Never extended: EV_NO_ACTION, PCR index 0xFF / 0xFFFFFFFF (or any index
//    above 23), and the Secure Launch markers 0x503/0x504, which Linux logs
//    but does not extend.
//  - Each bank is extended with the digest the record carries; event data is
//    never re-hashed (several real logs carry digest ≠ H(data)).
//
// An event's type is not covered by its digest. Skipping by type is what the
// TPM's owners did, so a relabelled measurement shows up as a PCR mismatch;
// compare() lists the skipped events of each mismatching PCR for that reason.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"
#include "eventlog/event.hpp"
#include "eventlog/event_log.hpp"

namespace drtm::eventlog {

inline constexpr std::uint32_t pcr_count = 24;

struct ReplayOptions {
    bool dynamic_launch = true;
    // Banks to replay; empty = every bank the log declares that drtm can hash.
    std::vector<crypto::HashAlg> banks;
};

struct PcrReplay {
    Bytes initial;
    Bytes value;
    std::vector<std::size_t> events;   // indices of the events extended into this PCR
    std::vector<std::size_t> skipped;  // events naming this PCR that were not extended
};

struct BankReplay {
    crypto::HashAlg alg = crypto::HashAlg::sha1;
    std::array<PcrReplay, pcr_count> pcrs;
};

struct ReplayResult {
    bool dynamic_launch = true;
    std::optional<std::uint8_t> startup_locality;
    std::vector<BankReplay> banks;
    std::vector<std::string> notes;

    const BankReplay* bank(crypto::HashAlg alg) const;
    // PCRs at least one event was extended into, in any bank.
    std::vector<std::uint32_t> touched_pcrs() const;
};

ReplayResult replay(const EventLog& log, const ReplayOptions& options = {});
ReplayResult replay(std::span<const EventView> events, std::span<const crypto::HashAlg> banks,
                    const ReplayOptions& options = {});
// Owning events (e.g. a digest list from a verifier's manifest); `banks` must
// be given because there is no header to declare them.
ReplayResult replay(std::span<const Event> events, std::span<const crypto::HashAlg> banks,
                    const ReplayOptions& options = {});

// PCR values as a TPM reports them: bank → PCR index → value.
using PcrValues = std::map<crypto::HashAlg, std::map<std::uint32_t, Bytes>>;

struct PcrRef {
    crypto::HashAlg bank = crypto::HashAlg::sha1;
    std::uint32_t pcr = 0;
    auto operator<=>(const PcrRef&) const = default;
};

struct PcrMismatch {
    crypto::HashAlg bank = crypto::HashAlg::sha1;
    std::uint32_t pcr = 0;
    Bytes expected;                    // what the log replays to
    Bytes actual;                      // what was given (read from the TPM)
    std::vector<std::size_t> events;   // events the replay extended into this PCR
    std::vector<std::size_t> skipped;  // events naming this PCR that replay did not extend
    std::string reason;
};

struct Comparison {
    std::vector<PcrMismatch> mismatches;
    std::vector<PcrRef> matched;
    std::vector<PcrRef> touched;                    // every (bank, PCR) the log extends
    std::vector<PcrRef> unchecked;                  // touched by the log, but no actual value given
    std::vector<crypto::HashAlg> banks_not_in_log;  // actual values for banks the replay lacks
    std::vector<std::string> notes;

    bool ok() const noexcept { return mismatches.empty(); }
};

struct CompareOptions {
    // PCRs whose value includes measurements outside this log (IMA's PCR 10).
    std::vector<std::uint32_t> ignore_pcrs;
};

// Every PCR in `actual` is checked, including those the log never touches
// (against their initial value). With dynamic_launch, a PCR 17–22 that reads
// all 0xFF is reported as "no dynamic launch happened" — fail closed.
Comparison compare(const ReplayResult& replayed, const PcrValues& actual,
                   const CompareOptions& options = {});

}  // namespace drtm::eventlog
