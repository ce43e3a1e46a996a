#include "predict/predictor.hpp"

#include <stdexcept>

#include "crypto/digest.hpp"
#include "eventlog/json.hpp"
#include "launch/pcr_target.hpp"

namespace drtm::predict {

namespace {

using binary::Bytes;
using binary::ByteView;
using crypto::HashAlg;

constexpr std::uint32_t kHashStart = 0x402;
constexpr std::uint32_t kMleHash = 0x404;
constexpr std::uint8_t kSinitLocality = 3;
const std::vector<std::uint32_t> kDrtmPcrs = {17, 18, 19, 20, 21, 22};

bool is_txt_dce_type(std::uint32_t type) {
    return type >= 0x400 && type <= 0x4FF;
}

std::vector<std::pair<HashAlg, Bytes>> digests_in_banks(const eventlog::EventView& e,
                                                        const std::vector<HashAlg>& banks,
                                                        const std::string& what) {
    std::vector<std::pair<HashAlg, Bytes>> out;
    for (HashAlg b : banks) {
        const auto* d = e.find_digest(crypto::alg_id(b));
        if (!d)
            throw std::runtime_error("reference log: " + what + " record at offset " +
                                     std::to_string(e.offset) + " has no " +
                                     std::string(crypto::alg_name(b)) + " digest");
        out.emplace_back(b, Bytes(d->bytes.begin(), d->bytes.end()));
    }
    return out;
}

// SINIT's part from a reference log: its launch record starts PCR 17, its
// other DCE records are extended as logged, except MLE_HASH, which is the
// hash of the DLME being predicted.
void replay_reference_dce(launch::SoftwarePcrs& pcrs, launch::Measurer& m,
                          const eventlog::EventLog& reference, ByteView mle) {
    const auto& banks = m.log_banks();
    bool launched = false;
    for (const auto& e : reference.events()) {
        if (!is_txt_dce_type(e.type)) continue;
        if (e.type == kHashStart) {
            if (launched) throw std::runtime_error("reference log: two EVTYPE_HASH_START records");
            auto digests = digests_in_banks(e, banks, "EVTYPE_HASH_START");
            pcrs.reset_dynamic();
            pcrs.extend(4, 17, digests);  // what _TPM_Hash_End does with H(data)
            m.log_only("SINIT (reference)", e.pcr, e.type, e.data, std::move(digests));
            launched = true;
            continue;
        }
        if (!launched)
            throw std::runtime_error(
                "reference log: DCE record before EVTYPE_HASH_START at offset " +
                std::to_string(e.offset));
        if (e.pcr > 23) continue;  // e.g. PCR-mapping info at 0xFF: never extended
        auto digests = e.type == kMleHash ? m.digests_of(mle) : digests_in_banks(e, banks, "SINIT");
        m.measure_digests("SINIT (reference)", kSinitLocality, e.pcr, e.type, e.data,
                          std::move(digests));
    }
    if (!launched)
        throw std::runtime_error(
            "reference log has no EVTYPE_HASH_START record: not a TXT DRTM log");
}

}  // namespace

std::string_view dce_source_name(DceSource s) {
    switch (s) {
        case DceSource::slb:
            return "slb";
        case DceSource::sinit_model:
            return "sinit_model";
        case DceSource::reference_log:
            return "reference_log";
    }
    return "?";
}

Prediction predict_launch(const launch::LaunchRequest& req, const eventlog::EventLog* reference) {
    Prediction out;
    if (req.flavour == launch::Flavour::amd || !reference) {
        auto simulated = launch::simulate_launch(req);
        out.pcrs = std::move(simulated.pcrs);
        out.records = std::move(simulated.records);
        if (req.flavour == launch::Flavour::amd) {
            out.dce_source = DceSource::slb;
            out.note = "computed from the files: SKINIT and the SKL measure nothing else";
        } else {
            out.dce_source = DceSource::sinit_model;
            out.note =
                "SINIT's platform measurements come from drtm's SINIT model and the platform "
                "description: exact on the emulated platform only; give --reference-log for real "
                "hardware";
        }
        return out;
    }

    const auto& banks = launch::log_banks();
    const launch::PreparedLaunch prep = launch::prepare_launch(req);
    launch::SoftwarePcrs pcrs(banks);
    launch::Measurer m(pcrs, banks);
    out.dce_source = DceSource::reference_log;
    out.note =
        "SINIT's measurements come from the reference log; MLE_HASH recomputed for this DLME";
    replay_reference_dce(pcrs, m, *reference,
                         prep.setup.memory.read(prep.setup.dlme_base, prep.setup.dlme_size));
    launch::run_dlme_stage(m, req, prep);
    out.pcrs = pcrs.values(kDrtmPcrs);
    out.records = m.records();
    return out;
}

nlohmann::json to_json(const Prediction& p) {
    return {{"pcrs", eventlog::pcr_values_to_json(p.pcrs)},
            {"dce_source", dce_source_name(p.dce_source)},
            {"note", p.note},
            {"events", launch::records_to_json(p.records)}};
}

}  // namespace drtm::predict
