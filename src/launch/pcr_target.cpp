#include "launch/pcr_target.hpp"

#include <stdexcept>

#include "crypto/digest.hpp"

namespace drtm::launch {

void TpmTarget::extend(std::uint8_t locality, std::uint32_t pcr,
                       const std::vector<std::pair<crypto::HashAlg, binary::Bytes>>& digests) {
    if (tpm_.locality() != locality) tpm_.set_locality(locality);
    tpm_.extend(pcr, digests);
}

SoftwarePcrs::SoftwarePcrs(std::vector<crypto::HashAlg> banks) : banks_(std::move(banks)) {
    // After TPM2_Startup: 0-16 and 23 zero, the DRTM PCRs all FF.
    for (auto bank : banks_)
        for (std::uint32_t p = 0; p < 24; ++p)
            values_[bank][p] =
                (p >= 17 && p <= 22) ? crypto::ff_digest(bank) : crypto::zero_digest(bank);
}

void SoftwarePcrs::reset_dynamic() {
    for (auto bank : banks_)
        for (std::uint32_t p = 17; p <= 22; ++p) values_[bank][p] = crypto::zero_digest(bank);
}

void SoftwarePcrs::dynamic_launch(binary::ByteView data) {
    reset_dynamic();
    for (auto bank : banks_)
        values_[bank][17] = crypto::extend(bank, values_[bank][17], crypto::hash(bank, data));
}

void SoftwarePcrs::extend(std::uint8_t locality, std::uint32_t pcr,
                          const std::vector<std::pair<crypto::HashAlg, binary::Bytes>>& digests) {
    // Extend masks of PCR 16..23 (bit n = locality n), libtpms s_initAttributes.
    static constexpr std::uint8_t kExtendMask[8] = {0x1F, 0x1C, 0x1C, 0x0C, 0x0E, 0x04, 0x04, 0x1F};
    if (pcr > 23 || locality > 4) throw std::invalid_argument("PCR or locality out of range");
    const std::uint8_t mask = pcr < 16 ? 0x1F : kExtendMask[pcr - 16];
    if (!(mask & (1u << locality)))
        throw std::runtime_error("PCR " + std::to_string(pcr) +
                                 " cannot be extended from locality " + std::to_string(locality) +
                                 " (TPM_RC_LOCALITY)");
    for (const auto& [bank, digest] : digests) {
        auto it = values_.find(bank);
        if (it == values_.end()) continue;  // a bank this model does not hold
        it->second[pcr] = crypto::extend(bank, it->second[pcr], digest);
    }
}

tpm::PcrBanks SoftwarePcrs::values(const std::vector<std::uint32_t>& pcrs) const {
    tpm::PcrBanks out;
    for (const auto& [bank, all] : values_)
        for (auto p : pcrs) out[bank][p] = all.at(p);
    return out;
}

}  // namespace drtm::launch
