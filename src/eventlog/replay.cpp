#include "eventlog/replay.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "binary/bytes.hpp"
#include "crypto/digest.hpp"
#include "eventlog/event_types.hpp"

namespace drtm::eventlog {

namespace {

constexpr std::size_t max_digest_size = 64;
constexpr std::size_t max_notes_per_kind = 8;
constexpr std::uint32_t first_drtm_pcr = 17;
constexpr std::uint32_t last_drtm_pcr = 22;
constexpr std::string_view startup_locality_signature{"StartupLocality\0", 16};

using PcrBytes = std::array<std::uint8_t, max_digest_size>;

struct BankState {
    explicit BankState(crypto::HashAlg a)
        : alg(a), id(crypto::alg_id(a)), size(crypto::digest_size(a)), hasher(a) {}
    crypto::HashAlg alg;
    std::uint16_t id;
    std::size_t size;
    crypto::Hasher hasher;
    std::array<PcrBytes, pcr_count> initial{};
    std::array<PcrBytes, pcr_count> value{};
    std::array<std::vector<std::size_t>, pcr_count> events;
    std::size_t missing = 0;
    std::size_t first_missing = 0;
};

bool is_zero(ByteView v) {
    return binary::all_equal(v, 0);
}

bool any_nonzero_digest(const EventView& ev) {
    for (const DigestView& d : ev.digests)
        if (!is_zero(d.bytes)) return true;
    return false;
}

// Caps one kind of note so a hostile log cannot produce a million lines.
class Notes {
  public:
    explicit Notes(std::vector<std::string>& out) : out_(out) {}
    void add(int kind, std::string text) {
        if (counts_[kind]++ < max_notes_per_kind) out_.push_back(std::move(text));
    }
    void finish() {
        for (int k = 0; k < kinds; ++k)
            if (counts_[k] > max_notes_per_kind)
                out_.push_back("... and " + std::to_string(counts_[k] - max_notes_per_kind) +
                               " more like the above");
    }
    static constexpr int kinds = 3;

  private:
    std::vector<std::string>& out_;
    std::size_t counts_[kinds] = {};
};

enum NoteKind { skipped_with_digest = 0, odd_pcr_index = 1, startup_late = 2 };

std::vector<crypto::HashAlg> banks_of(const EventLog& log) {
    std::vector<crypto::HashAlg> out;
    for (const AlgorithmSize& a : log.algorithms())
        if (auto alg = crypto::alg_from_id(a.alg_id)) out.push_back(*alg);
    return out;
}

}  // namespace

const BankReplay* ReplayResult::bank(crypto::HashAlg alg) const {
    for (const BankReplay& b : banks)
        if (b.alg == alg) return &b;
    return nullptr;
}

std::vector<std::uint32_t> ReplayResult::touched_pcrs() const {
    std::set<std::uint32_t> s;
    for (const BankReplay& b : banks)
        for (std::uint32_t p = 0; p < pcr_count; ++p)
            if (!b.pcrs[p].events.empty()) s.insert(p);
    return {s.begin(), s.end()};
}

ReplayResult replay(std::span<const EventView> events, std::span<const crypto::HashAlg> log_banks,
                    const ReplayOptions& options) {
    ReplayResult result;
    result.dynamic_launch = options.dynamic_launch;
    Notes notes(result.notes);

    std::span<const crypto::HashAlg> bank_list = options.banks.empty() ? log_banks : options.banks;
    std::vector<BankState> banks;
    banks.reserve(bank_list.size());
    for (crypto::HashAlg a : bank_list) {
        BankState& b = banks.emplace_back(a);
        // 17–22 reset to 0 by _TPM_Hash_End; 0xFF…FF after Startup otherwise.
        if (!options.dynamic_launch)
            for (std::uint32_t p = first_drtm_pcr; p <= last_drtm_pcr; ++p)
                std::memset(b.initial[p].data(), 0xFF, b.size);
        b.value = b.initial;
    }
    std::array<std::vector<std::size_t>, pcr_count> skipped;
    bool pcr0_extended = false;
    std::array<std::uint8_t, 2 * max_digest_size> extend_input;

    for (const EventView& ev : events) {
        if (ev.pcr >= pcr_count) {
            // 0xFF (TXT PCR mapping) and 0xFFFFFFFF (Windows) are informational.
            if (ev.pcr != 0xFF && ev.pcr != 0xFFFFFFFF)
                notes.add(odd_pcr_index, "event " + std::to_string(ev.index) + " names PCR " +
                                             std::to_string(ev.pcr) +
                                             ", which a PC-client TPM does not have; not extended");
            continue;
        }
        if (ev.type == tcg::ev_no_action) {
            if (ev.pcr == 0 && ev.data.size() > startup_locality_signature.size() &&
                std::memcmp(ev.data.data(), startup_locality_signature.data(),
                            startup_locality_signature.size()) == 0) {
                const std::uint8_t locality = ev.data[startup_locality_signature.size()];
                if (pcr0_extended) {
                    notes.add(startup_late, "StartupLocality event " + std::to_string(ev.index) +
                                                " comes after PCR 0 was extended; ignored");
                } else {
                    result.startup_locality = locality;
                    for (BankState& b : banks) {
                        b.initial[0].fill(0);
                        b.initial[0][b.size - 1] = locality;
                        b.value[0] = b.initial[0];
                    }
                }
            }
        }
        if (ev.type == tcg::ev_no_action || is_slaunch_marker(ev.type)) {
            skipped[ev.pcr].push_back(ev.index);
            if (any_nonzero_digest(ev))
                notes.add(skipped_with_digest,
                          "event " + std::to_string(ev.index) + " (" + event_type_name(ev.type) +
                              ", PCR " + std::to_string(ev.pcr) +
                              ") is not extended but carries a non-zero digest; its type is not "
                              "covered by the digest, so check PCR " +
                              std::to_string(ev.pcr) + " against the TPM");
            continue;
        }
        if (ev.pcr == 0) pcr0_extended = true;
        for (std::size_t bi = 0; bi < banks.size(); ++bi) {
            BankState& b = banks[bi];
            // Records usually list digests in the header's order.
            const DigestView* d = bi < ev.digests.size() && ev.digests[bi].alg_id == b.id
                                      ? &ev.digests[bi]
                                      : ev.find_digest(b.id);
            if (d == nullptr || d->bytes.size() != b.size) {
                if (b.missing++ == 0) b.first_missing = ev.index;
                continue;
            }
            // E(P, d) = H(P ‖ d). One update of a contiguous copy is
            // measurably cheaper than two through the EVP layer.
            std::uint8_t* pcr = b.value[ev.pcr].data();
            std::memcpy(extend_input.data(), pcr, b.size);
            std::memcpy(extend_input.data() + b.size, d->bytes.data(), b.size);
            b.hasher.update(ByteView(extend_input.data(), 2 * b.size));
            b.hasher.finish_into(pcr);
            b.events[ev.pcr].push_back(ev.index);
        }
    }

    result.banks.reserve(banks.size());
    for (BankState& b : banks) {
        if (b.missing > 0)
            result.notes.push_back(std::to_string(b.missing) + " event(s) carry no " +
                                   std::string(crypto::alg_name(b.alg)) + " digest (first: event " +
                                   std::to_string(b.first_missing) + "); the " +
                                   std::string(crypto::alg_name(b.alg)) +
                                   " bank does not include them");
        BankReplay& out = result.banks.emplace_back();
        out.alg = b.alg;
        for (std::uint32_t p = 0; p < pcr_count; ++p) {
            out.pcrs[p].initial.assign(b.initial[p].begin(), b.initial[p].begin() + b.size);
            out.pcrs[p].value.assign(b.value[p].begin(), b.value[p].begin() + b.size);
            out.pcrs[p].events = std::move(b.events[p]);
            out.pcrs[p].skipped = skipped[p];
        }
    }
    notes.finish();
    return result;
}

ReplayResult replay(const EventLog& log, const ReplayOptions& options) {
    const std::vector<crypto::HashAlg> banks = banks_of(log);
    return replay(log.events(), banks, options);
}

ReplayResult replay(std::span<const Event> events, std::span<const crypto::HashAlg> banks,
                    const ReplayOptions& options) {
    std::size_t total = 0;
    for (const Event& e : events) total += e.digests.size();
    std::vector<DigestView> digests;
    digests.reserve(total);
    std::vector<EventView> views;
    views.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        const std::size_t first = digests.size();
        for (const Digest& d : e.digests) digests.push_back({d.alg_id, d.bytes});
        EventView v;
        v.index = i;
        v.pcr = e.pcr;
        v.type = e.type;
        v.data = e.data;
        v.digests = std::span<const DigestView>(digests.data() + first, e.digests.size());
        views.push_back(v);
    }
    return replay(views, banks, options);
}

Comparison compare(const ReplayResult& replayed, const PcrValues& actual,
                   const CompareOptions& options) {
    Comparison c;
    auto ignored = [&](std::uint32_t pcr) {
        return std::find(options.ignore_pcrs.begin(), options.ignore_pcrs.end(), pcr) !=
               options.ignore_pcrs.end();
    };
    for (const BankReplay& b : replayed.banks) {
        const auto given = actual.find(b.alg);
        for (std::uint32_t p = 0; p < pcr_count; ++p) {
            const PcrReplay& r = b.pcrs[p];
            if (!r.events.empty()) c.touched.push_back({b.alg, p});
            if (ignored(p)) continue;
            const Bytes* value = nullptr;
            if (given != actual.end())
                if (auto it = given->second.find(p); it != given->second.end()) value = &it->second;
            if (value == nullptr) {
                if (!r.events.empty()) c.unchecked.push_back({b.alg, p});
                continue;
            }
            std::string reason;
            if (value->size() != r.value.size())
                reason = "the given value is " + std::to_string(value->size()) + " bytes, not " +
                         std::to_string(r.value.size());
            else if (replayed.dynamic_launch && p >= first_drtm_pcr && p <= last_drtm_pcr &&
                     binary::all_equal(*value, 0xFF))
                reason = "reads all 0xFF: no dynamic launch happened";
            else if (*value != r.value)
                reason = r.events.empty()
                             ? "the log does not extend this PCR, yet it left its initial value"
                             : "the log replays to a different value";
            if (reason.empty()) {
                c.matched.push_back({b.alg, p});
                continue;
            }
            c.mismatches.push_back({b.alg, p, r.value, *value, r.events, r.skipped, reason});
        }
    }
    for (const auto& [alg, values] : actual) {
        (void)values;
        if (replayed.bank(alg) == nullptr) c.banks_not_in_log.push_back(alg);
    }
    for (const PcrMismatch& m : c.mismatches)
        if (!m.skipped.empty())
            c.notes.push_back(
                "PCR " + std::to_string(m.pcr) + " (" + std::string(crypto::alg_name(m.bank)) +
                ") mismatches and the log names it in " + std::to_string(m.skipped.size()) +
                " event(s) replay did not extend; a measurement may have been relabelled");
    return c;
}

}  // namespace drtm::eventlog
