#include "seal/pcr_policy.hpp"

#include <algorithm>
#include <stdexcept>

#include "binary/writer.hpp"
#include "crypto/digest.hpp"

namespace drtm::seal {

namespace {
constexpr std::uint32_t kTpmCcPolicyPcr = 0x0000017F;

std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> pcrs) {
    std::sort(pcrs.begin(), pcrs.end());
    pcrs.erase(std::unique(pcrs.begin(), pcrs.end()), pcrs.end());
    for (auto p : pcrs)
        if (p > 23) throw std::invalid_argument("PCR index " + std::to_string(p) + " > 23");
    return pcrs;
}

const binary::Bytes& value_of(const PcrSelection& sel, const tpm::PcrBanks& values,
                              std::uint32_t pcr) {
    auto bank = values.find(sel.bank);
    if (bank == values.end())
        throw std::runtime_error("no " + std::string(crypto::alg_name(sel.bank)) +
                                 " PCR values given");
    auto it = bank->second.find(pcr);
    if (it == bank->second.end())
        throw std::runtime_error("no value for PCR " + std::to_string(pcr) + " (" +
                                 std::string(crypto::alg_name(sel.bank)) + ")");
    if (it->second.size() != crypto::digest_size(sel.bank))
        throw std::runtime_error("PCR " + std::to_string(pcr) + " value has the wrong size");
    return it->second;
}
}  // namespace

binary::Bytes marshal_pcr_selection(const PcrSelection& sel) {
    binary::Writer w;
    w.u32be(1);
    w.u16be(crypto::alg_id(sel.bank));
    w.u8(3);  // sizeofSelect: PCR 0-23
    std::uint8_t bits[3] = {0, 0, 0};
    for (auto p : sorted_unique(sel.pcrs)) bits[p / 8] |= static_cast<std::uint8_t>(1u << (p % 8));
    for (auto b : bits) w.u8(b);
    return w.take();
}

binary::Bytes pcr_composite_digest(crypto::HashAlg policy_alg, const PcrSelection& sel,
                                   const tpm::PcrBanks& values) {
    crypto::Hasher h(policy_alg);
    for (auto p : sorted_unique(sel.pcrs)) h.update(value_of(sel, values, p));
    return h.finish();
}

binary::Bytes policy_pcr(crypto::HashAlg policy_alg, binary::ByteView policy,
                         const PcrSelection& sel, const tpm::PcrBanks& values) {
    if (policy.size() != crypto::digest_size(policy_alg))
        throw std::invalid_argument("policy digest size does not match the policy algorithm");
    binary::Writer w;
    w.bytes(policy);
    w.u32be(kTpmCcPolicyPcr);
    w.bytes(marshal_pcr_selection(sel));
    w.bytes(pcr_composite_digest(policy_alg, sel, values));
    return crypto::hash(policy_alg, w.data());
}

void refuse_unlaunched(const PcrSelection& sel, const tpm::PcrBanks& values) {
    for (auto p : sorted_unique(sel.pcrs)) {
        const auto& v = value_of(sel, values, p);
        if (p >= 17 && p <= 22 && binary::all_equal(v, 0xFF))
            throw std::runtime_error(
                "PCR " + std::to_string(p) +
                " reads all FF: no dynamic launch happened; refusing to seal to it");
        if (binary::all_equal(v, 0x00))
            throw std::runtime_error(
                "PCR " + std::to_string(p) +
                " reads all zero: nothing was measured into it; refusing to seal to it");
    }
}

}  // namespace drtm::seal
