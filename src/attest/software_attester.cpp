#include "attest/software_attester.hpp"

#include <algorithm>
#include <stdexcept>

#include "binary/writer.hpp"
#include "crypto/digest.hpp"

namespace drtm::attest {

namespace {
// TPMA_OBJECT of a TPM-created AK: fixedTPM | fixedParent |
// sensitiveDataOrigin | userWithAuth | restricted | sign.
constexpr std::uint32_t kAkAttributes = 0x00050072;

void sized(binary::Writer& w, ByteView b) {
    w.u16be(static_cast<std::uint16_t>(b.size()));
    w.bytes(b);
}
}  // namespace

SoftwareAttester SoftwareAttester::generate() {
    return SoftwareAttester(crypto::EcdsaP256Key::generate());
}

SoftwareAttester SoftwareAttester::from_private_pem(const std::string& pem) {
    return SoftwareAttester(crypto::EcdsaP256Key::from_private_pem(pem, "software AK"));
}

SoftwareAttester::SoftwareAttester(crypto::EcdsaP256Key key) : key_(std::move(key)) {
    auto point = key_.public_point();
    binary::Writer area;  // TPMT_PUBLIC
    area.u16be(0x0023);   // TPM_ALG_ECC
    area.u16be(0x000b);   // nameAlg SHA-256
    area.u32be(kAkAttributes);
    area.u16be(0);       // no authPolicy
    area.u16be(0x0010);  // symmetric NULL
    area.u16be(0x0018);  // scheme ECDSA
    area.u16be(0x000b);  // with SHA-256
    area.u16be(0x0003);  // NIST P-256
    area.u16be(0x0010);  // kdf NULL
    sized(area, point.x);
    sized(area, point.y);
    binary::Writer pub;
    sized(pub, area.data());
    ak_public_ = pub.data();
    ak_name_ = {0x00, 0x0b};
    auto digest = crypto::hash(crypto::HashAlg::sha256, area.data());
    ak_name_.insert(ak_name_.end(), digest.begin(), digest.end());
}

Evidence SoftwareAttester::evidence(const std::string& node, ByteView nonce,
                                    const eventlog::PcrValues& pcrs, ByteView log,
                                    const ClockInfo& clock) const {
    std::vector<PcrBankSelection> selection;
    std::map<std::uint16_t, std::map<std::uint32_t, Bytes>> values;
    for (const auto& [bank, bank_values] : pcrs) {
        PcrBankSelection s;
        s.hash_alg = crypto::alg_id(bank);
        for (const auto& [pcr, value] : bank_values) s.pcrs.push_back(pcr);
        selection.push_back(s);
        values[s.hash_alg] = bank_values;
    }
    std::sort(selection.begin(), selection.end(),
              [](const auto& a, const auto& b) { return a.hash_alg < b.hash_alg; });

    binary::Writer a;  // TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12)
    a.u32be(kTpmGeneratedValue);
    a.u16be(kTpmStAttestQuote);
    sized(a, ak_name_);  // qualifiedSigner (a hierarchy-less stand-in: the AK's name)
    sized(a, nonce);     // extraData
    a.u64be(clock.clock);
    a.u32be(clock.reset_count);
    a.u32be(clock.restart_count);
    a.u8(clock.safe ? 1 : 0);
    a.u64be(0x2019102300163636);  // firmwareVersion
    a.u32be(static_cast<std::uint32_t>(selection.size()));
    for (const auto& s : selection) {
        a.u16be(s.hash_alg);
        std::uint8_t bitmap[3] = {0, 0, 0};
        for (auto pcr : s.pcrs) {
            if (pcr >= 24) throw std::invalid_argument("PCR " + std::to_string(pcr) + " > 23");
            bitmap[pcr / 8] |= static_cast<std::uint8_t>(1u << (pcr % 8));
        }
        a.u8(3);
        for (auto b : bitmap) a.u8(b);
    }
    sized(a, quote_pcr_digest(crypto::HashAlg::sha256, selection, values));

    Evidence e;
    e.node = node;
    e.ak_public = ak_public_;
    e.quote_attest = a.data();
    e.quote_signature = marshal_ecdsa_signature(
        key_.sign_digest(crypto::hash(crypto::HashAlg::sha256, e.quote_attest)));
    e.pcrs = pcrs;
    e.eventlog.assign(log.begin(), log.end());
    return e;
}

}  // namespace drtm::attest
