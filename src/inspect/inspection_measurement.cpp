#include "inspect/inspection_measurement.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "crypto/digest.hpp"
#include "eventlog/json.hpp"
#include "eventlog/log_writer.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "launch/event_types.hpp"
#include "launch/launcher.hpp"
#include "launch/pcr_target.hpp"
#include "tpm/swtpm_control.hpp"
#include "tpm/tcti_spec.hpp"

namespace drtm::inspect {

namespace {

const std::vector<std::uint32_t> kDrtmPcrs = {17, 18, 19, 20, 21, 22};
constexpr std::uint8_t kDlmeLocality = 2;
constexpr const char* kStage = "inspector";

// The stages after the launch: identical on a TPM and on software PCRs.
void measure_image(launch::Measurer& m, const InspectedImage& s) {
    using binary::as_bytes;
    m.measure(kStage, kDlmeLocality, 18, launch::evtype::kSecureLaunch,
              as_bytes("drtm-inspect rules " + s.rules), as_bytes(s.rules));
    m.measure(kStage, kDlmeLocality, 18, launch::evtype::kSecureLaunch,
              as_bytes("drtm-inspect golden image build-id " + s.golden_build_id), s.golden_image);
    if (s.inspected) {
        m.measure(kStage, kDlmeLocality, 19, launch::evtype::kSecureLaunch,
                  as_bytes(std::string("drtm-inspect .text normalised")), s.text);
        m.measure(kStage, kDlmeLocality, 19, launch::evtype::kSecureLaunch,
                  as_bytes(std::string("drtm-inspect .rodata normalised")), s.rodata);
    }
    if (!s.findings.empty())
        m.measure(kStage, kDlmeLocality, 19, launch::evtype::kSecureLaunch,
                  as_bytes("drtm-inspect findings\n" + s.findings), as_bytes(s.findings));
    if (s.inspected && !s.lsms.empty())
        m.measure(kStage, kDlmeLocality, 20, launch::evtype::kSecureLaunch,
                  as_bytes("drtm-inspect lsms " + s.lsms), as_bytes(s.lsms));
}

// Every stage after the hash sequence, on `target`; returns the records and
// their log. The launch record is logged, not extended: the hash sequence
// already put the descriptor into PCR 17.
InspectionMeasurement run_stages(launch::PcrTarget& target, binary::ByteView descriptor,
                                 const InspectionSubject& s) {
    launch::Measurer m(target, launch::log_banks());
    m.log_only(kStage, 17, launch::evtype::kSecureLaunch, descriptor, m.digests_of(descriptor));
    for (const auto& image : s.images) measure_image(m, image);
    InspectionMeasurement out;
    out.records = m.records();
    std::vector<eventlog::Event> events;
    for (const auto& r : out.records) events.push_back(launch::to_event(r));
    out.eventlog =
        eventlog::write_crypto_agile_log(eventlog::make_spec_id_event(launch::log_banks()), events);
    return out;
}

}  // namespace

binary::Bytes inspector_descriptor(binary::ByteView inspector_sha256) {
    const std::string text =
        "drtm-inspector/1\ninspector-sha256 " + binary::to_hex(inspector_sha256) + "\n";
    return binary::Bytes(text.begin(), text.end());
}

binary::Bytes inspector_sha256(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    crypto::Hasher h(crypto::HashAlg::sha256);
    std::vector<std::uint8_t> buf(1 << 20);
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            throw std::runtime_error("cannot read " + path + ": " + std::strerror(e));
        }
        if (n == 0) break;
        h.update(binary::ByteView(buf.data(), static_cast<std::size_t>(n)));
    }
    ::close(fd);
    return h.finish();
}

InspectionMeasurement measure_inspection(const std::string& tcti, const InspectionSubject& s) {
    const auto control = tpm::parse_tcti(tcti).swtpm_control();
    if (!control)
        throw std::runtime_error("TCTI '" + tcti +
                                 "' has no control channel for the inspector's launch: use the "
                                 "VM's swtpm:path=<vm>/tpm.sock");
    tpm::Tpm t(tcti);
    const auto banks = t.allocated_banks();
    for (auto b : launch::log_banks())
        if (std::find(banks.begin(), banks.end(), b) == banks.end())
            throw std::runtime_error("the guest's TPM has no " + std::string(crypto::alg_name(b)) +
                                     " PCR bank; the inspector measures SHA-1 and SHA-256");
    const auto descriptor = inspector_descriptor(s.inspector_sha256);
    // The multiplexer holds the guest's TPM commands from HASH_START to
    // HASH_END, as the CPU does during SKINIT/SENTER.
    tpm::SwtpmControl(*control).drtm_sequence(descriptor);
    launch::verify_drtm_sequence(t, banks, descriptor);

    launch::TpmTarget target(t);
    auto out = run_stages(target, descriptor, s);
    const auto tpm_pcrs = t.read_pcrs(launch::log_banks(), kDrtmPcrs);
    t.set_locality(0);
    const auto replayed =
        eventlog::replay(eventlog::parse_event_log(binary::ByteView(out.eventlog)));
    out.verified =
        eventlog::compare(replayed, eventlog::PcrValues(tpm_pcrs.begin(), tpm_pcrs.end())).ok();
    out.pcrs = tpm_pcrs;
    return out;
}

InspectionMeasurement predict_inspection(const InspectionSubject& s) {
    launch::SoftwarePcrs pcrs(launch::log_banks());
    const auto descriptor = inspector_descriptor(s.inspector_sha256);
    pcrs.dynamic_launch(descriptor);
    auto out = run_stages(pcrs, descriptor, s);
    out.pcrs = pcrs.values(kDrtmPcrs);
    out.verified = true;
    if (std::any_of(s.images.begin(), s.images.end(),
                    [](const InspectedImage& i) { return i.lsms_unknown; }))
        out.unpredicted.push_back(20);
    return out;
}

nlohmann::json to_json(const InspectionMeasurement& m) {
    eventlog::PcrValues values(m.pcrs.begin(), m.pcrs.end());
    for (auto& [alg, bank] : values)
        for (const auto pcr : m.unpredicted) bank.erase(pcr);
    nlohmann::json out = {{"pcrs", eventlog::pcr_values_to_json(values)},
                          {"verified", m.verified},
                          {"events", launch::records_to_json(m.records)}};
    if (!m.unpredicted.empty()) out["unpredicted_pcrs"] = m.unpredicted;
    return out;
}

}  // namespace drtm::inspect
