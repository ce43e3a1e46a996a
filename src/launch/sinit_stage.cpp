#include "launch/sinit_stage.hpp"

#include "binary/writer.hpp"
#include "crypto/digest.hpp"
#include "launch/event_types.hpp"

namespace drtm::launch {

namespace {
constexpr std::uint8_t kSinitLocality = 3;
const std::string kStage = "SINIT";

binary::Bytes le32(std::uint32_t v) {
    binary::Writer w;
    w.u32le(v);
    return w.take();
}
}  // namespace

binary::Bytes senter_event_data(binary::ByteView sinit_digest, std::uint32_t edx) {
    binary::Writer w;
    w.bytes(sinit_digest);
    w.u32le(edx);
    return w.take();
}

void run_sinit_stage(Measurer& m, const SinitInputs& in) {
    const auto& p = in.platform;
    // The CPU extended H(senter_data) into PCR 17 of every bank; SINIT logs it.
    m.log_only(kStage, 17, evtype::kHashStart, in.senter_data, m.digests_of(in.senter_data));

    // An event whose digest is the hash of its own data.
    auto data_event = [&](std::uint32_t pcr, std::uint32_t type, binary::ByteView data) {
        m.measure(kStage, kSinitLocality, pcr, type, data, data);
    };
    const binary::Bytes stm_measured = p.stm ? *p.stm : binary::Bytes{0x00};
    const auto scrtm = le32(p.cpu_scrtm_status);
    const auto policy_control = le32(p.lcp_policy_control);
    const auto caps = le32(p.os_sinit_capabilities);

    data_event(17, evtype::kBiosAcRegData, p.bios_acm_registration_data);
    data_event(17, evtype::kCpuScrtmStat, scrtm);
    data_event(17, evtype::kLcpControlHash, policy_control);
    data_event(17, evtype::kLcpDetailsHash, p.lcp_details);
    // The STM event's data is the one-byte marker when there is no STM; the
    // digest covers the STM image itself when there is one.
    m.measure(kStage, kSinitLocality, 17, evtype::kStmHash,
              p.stm ? binary::ByteView{} : stm_measured, stm_measured);
    data_event(17, evtype::kOsSinitDataCapHash, caps);
    // The MLE hash carries no event data: the digest is H(MLE) itself.
    m.measure(kStage, kSinitLocality, 17, evtype::kMleHash, {}, in.mle);
    data_event(17, evtype::kNvInfoHash, p.nv_info);

    m.measure(kStage, kSinitLocality, p.sinit_pubkey_pcr, evtype::kSinitPubkeyHash, {},
              in.sinit_signer_key);
    data_event(18, evtype::kCpuScrtmStat, scrtm);
    data_event(18, evtype::kOsSinitDataCapHash, caps);
    data_event(18, evtype::kLcpControlHash, policy_control);
    data_event(18, evtype::kLcpAuthoritiesHash, p.lcp_authorities);
    data_event(18, evtype::kNvInfoHash, p.nv_info);

    m.cap_other_banks(kSinitLocality, 17, in.tpm_banks);
    m.cap_other_banks(kSinitLocality, 18, in.tpm_banks);
}

}  // namespace drtm::launch
