// Where a launch stage's extends go. The same stage code drives a real TPM
// during a launch and a software model of the PCRs during a prediction, so
// "what is measured" has one implementation (issue: predict the next launch).
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"
#include "tpm/tpm.hpp"

namespace drtm::launch {

class PcrTarget {
  public:
    virtual ~PcrTarget() = default;
    virtual void extend(std::uint8_t locality, std::uint32_t pcr,
                        const std::vector<std::pair<crypto::HashAlg, binary::Bytes>>& digests) = 0;
};

// The real (or swtpm) TPM: switches locality only when it changes.
class TpmTarget : public PcrTarget {
  public:
    explicit TpmTarget(tpm::Tpm& tpm) : tpm_(tpm) {}
    void extend(std::uint8_t locality, std::uint32_t pcr,
                const std::vector<std::pair<crypto::HashAlg, binary::Bytes>>& digests) override;

  private:
    tpm::Tpm& tpm_;
};

// PCRs in software, with the TPM's DRTM rules: after a dynamic launch with
// data D, PCR 17 = E(0, H(D)) in every bank and 18-22 = 0; extends obey the
// PC Client locality masks (reference/measurements.md §1.1), so a stage that
// would be refused by a TPM is refused by the model too.
class SoftwarePcrs : public PcrTarget {
  public:
    explicit SoftwarePcrs(std::vector<crypto::HashAlg> banks);
    void dynamic_launch(binary::ByteView data);
    // PCR 17-22 to zero, as _TPM_Hash_End does before extending PCR 17.
    void reset_dynamic();
    void extend(std::uint8_t locality, std::uint32_t pcr,
                const std::vector<std::pair<crypto::HashAlg, binary::Bytes>>& digests) override;
    const tpm::PcrBanks& values() const noexcept { return values_; }
    tpm::PcrBanks values(const std::vector<std::uint32_t>& pcrs) const;

  private:
    std::vector<crypto::HashAlg> banks_;
    tpm::PcrBanks values_;
};

}  // namespace drtm::launch
