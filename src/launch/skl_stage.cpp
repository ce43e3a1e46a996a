#include "launch/skl_stage.hpp"

#include <stdexcept>

#include "binary/writer.hpp"
#include "launch/event_types.hpp"

namespace drtm::launch {

namespace {
constexpr std::uint8_t kSklLocality = 2;
const std::string kStage = "SKL";
}  // namespace

void run_skl_stage(Measurer& m, const SklInputs& in) {
    // SKL refuses (reboots) when the entry is outside the DLME.
    if (in.dlme_entry >= in.dlme.size())
        throw std::runtime_error("SKL: dlme_entry " + std::to_string(in.dlme_entry) +
                                 " is not below dlme_size " + std::to_string(in.dlme.size()));
    m.log_only(kStage, 17, evtype::kSecureLaunch, binary::as_bytes("SKINIT"),
               m.digests_of(in.slb_measured));
    // SKL copies dlme_entry into a u32 and hashes those four bytes.
    binary::Writer entry;
    entry.u32le(static_cast<std::uint32_t>(in.dlme_entry));
    m.measure(kStage, kSklLocality, 17, evtype::kSecureLaunch,
              binary::as_bytes("DLME entry offset"), entry.data());
    m.measure(kStage, kSklLocality, 17, evtype::kSecureLaunch, binary::as_bytes("DLME"), in.dlme);
}

}  // namespace drtm::launch
