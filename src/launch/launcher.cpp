#include "launch/launcher.hpp"

#include <stdexcept>

#include "binary/file_io.hpp"
#include "binary/reader.hpp"
#include "crypto/digest.hpp"
#include "eventlog/event.hpp"
#include "eventlog/event_text.hpp"
#include "eventlog/json.hpp"
#include "eventlog/log_appender.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "eventlog/txt_structures.hpp"
#include "launch/emulated_grub.hpp"
#include "launch/linux_dlme_stage.hpp"
#include "launch/measurer.hpp"
#include "launch/memory_layout.hpp"
#include "launch/pcr_target.hpp"
#include "launch/sinit_stage.hpp"
#include "launch/skl_stage.hpp"
#include "launch/xen_dlme_stage.hpp"
#include "slrt/table.hpp"
#include "tpm/swtpm_control.hpp"
#include "tpm/tpm.hpp"

namespace drtm::launch {

namespace {

using binary::Bytes;
using binary::ByteView;

const std::vector<std::uint32_t> kDrtmPcrs = {17, 18, 19, 20, 21, 22};
// SKL, SINIT and the Linux stub hash SHA-1 and SHA-256 and log both.
const std::vector<HashAlg> kLogBanks = {HashAlg::sha1, HashAlg::sha256};

// Writes the stages' records into the log area the DCE initialised, in
// order, as SKL/SINIT and then the DLME append them.
Bytes write_log(Flavour flavour, BootSetup& setup, const std::vector<LogRecord>& records) {
    Bytes& log = setup.memory.region(setup.log_addr);
    if (flavour == Flavour::amd) {
        eventlog::LogAppender appender(log);
        for (const auto& r : records) appender.append(to_event(r));
    } else {
        // On Intel the log's NextRecordOffset lives in the TXT heap's type-8
        // element, not in the log.
        eventlog::TxtLogPointer ptr{setup.log_addr, setup.log_size, 0, 0};
        auto parsed = eventlog::parse_event_log(ByteView(log));
        ptr.next_record_offset = static_cast<std::uint32_t>(parsed.end_offset());
        Bytes element = eventlog::encode_txt_log_pointer(ptr);
        eventlog::LogAppender appender(log, element);
        for (const auto& r : records) appender.append(to_event(r));
    }
    return log;
}

Bytes slrt_bytes_of(const BootSetup& setup) {
    const std::uint32_t size = binary::Reader(setup.memory.read(setup.slrt_addr + 8, 4)).u32le();
    auto bytes = setup.memory.read(setup.slrt_addr, size);
    return Bytes(bytes.begin(), bytes.end());
}

}  // namespace

std::string_view flavour_name(Flavour f) {
    return f == Flavour::amd ? "amd" : "intel";
}

void verify_drtm_sequence(tpm::Tpm& t, const std::vector<HashAlg>& banks, ByteView data) {
    auto pcrs = t.read_pcrs(banks, kDrtmPcrs);
    for (HashAlg bank : banks) {
        auto expected = crypto::extend(bank, crypto::zero_digest(bank), crypto::hash(bank, data));
        if (pcrs[bank][17] != expected)
            throw std::runtime_error(
                "the dynamic launch did not take effect: PCR 17 (" +
                std::string(crypto::alg_name(bank)) + ") is " + binary::to_hex(pcrs[bank][17]) +
                ", expected " + binary::to_hex(expected) +
                " (was the TPM started? did another client talk to it during the sequence?)");
        for (std::uint32_t p = 18; p <= 22; ++p)
            if (!binary::all_equal(pcrs[bank][p], 0))
                throw std::runtime_error("the dynamic launch did not reset PCR " +
                                         std::to_string(p));
    }
}

const std::vector<HashAlg>& log_banks() {
    return kLogBanks;
}

PreparedLaunch prepare_launch(const LaunchRequest& req) {
    PreparedLaunch p;
    DceInMemory dce;
    if (req.flavour == Flavour::amd) {
        p.skl = load_skl(req.dce);
        dce.bytes = p.skl->measured();  // GRUB copies only the measured part
        dce.size = p.skl->slb.measured_length;
        dce.slrt_offset = p.skl->slb.bootloader_data_offset;
    } else {
        p.sinit = load_sinit(req.dce);
        dce.bytes = ByteView(p.sinit->file).first(p.sinit->acm.module_size);
        dce.size = p.sinit->acm.module_size;
    }
    p.setup = std::holds_alternative<LinuxDlme>(req.dlme)
                  ? grub_boot_linux(req.flavour, dce, std::get<LinuxDlme>(req.dlme))
                  : grub_boot_xen(req.flavour, dce, std::get<XenDlme>(req.dlme));
    return p;
}

Bytes dl_event_data(const LaunchRequest& req, const PreparedLaunch& p) {
    if (req.flavour == Flavour::amd) {
        auto m = p.skl->measured();
        return Bytes(m.begin(), m.end());
    }
    return senter_event_data(p.sinit->digest, req.txt_platform.senter_edx);
}

void run_dce_stage(Measurer& m, const LaunchRequest& req, const PreparedLaunch& p, ByteView dl_data,
                   const std::vector<HashAlg>& tpm_banks) {
    const ByteView dlme = p.setup.memory.read(p.setup.dlme_base, p.setup.dlme_size);
    if (req.flavour == Flavour::amd)
        run_skl_stage(m, SklInputs{p.skl->measured(), p.setup.dlme_entry, dlme});
    else
        run_sinit_stage(m, SinitInputs{Bytes(dl_data.begin(), dl_data.end()), p.sinit->signer_key,
                                       dlme, req.txt_platform, tpm_banks});
}

void run_dlme_stage(Measurer& m, const LaunchRequest& req, const PreparedLaunch& p) {
    if (std::holds_alternative<LinuxDlme>(req.dlme))
        run_linux_dlme_stage(m, p.setup.memory, p.setup.slrt_addr);
    else
        run_xen_dlme_stage(m, p.setup.memory, p.setup.slrt_addr);
}

LaunchResult perform_launch(const LaunchRequest& req) {
    auto say = [&](const std::string& s) {
        if (req.progress) req.progress(s);
    };
    const auto spec = tpm::parse_tcti(req.tcti);
    const auto control = spec.swtpm_control();
    if (!control)
        throw std::runtime_error("TCTI '" + req.tcti +
                                 "' cannot emulate a dynamic launch: only the CPU can drive the "
                                 "DRTM hash sequence of a real TPM. Use an emulated platform "
                                 "(drtm platform start) or pass no --tcti.");

    // 1. The bootloader: load the DCE and the DLME, build the SLRT.
    say("bootloader: loading the DCE and the DLME, writing the SLRT");
    PreparedLaunch prep = prepare_launch(req);
    auto& skl = prep.skl;
    auto& sinit = prep.sinit;
    BootSetup& setup = prep.setup;

    // 2. The platform: from here on no other process may talk to the TPM.
    tpm::Tpm t(req.tcti);
    const auto banks = t.allocated_banks();
    for (HashAlg b : kLogBanks)
        if (std::find(banks.begin(), banks.end(), b) == banks.end())
            throw std::runtime_error("the TPM has no " + std::string(crypto::alg_name(b)) +
                                     " PCR bank; the DCE and DLME measure SHA-1 and SHA-256");
    const auto info_before = t.info();
    tpm::SwtpmControl cpu(*control);

    // 3. The CPU: SKINIT or GETSEC[SENTER] drives the DRTM hash sequence.
    const Bytes dl_data = dl_event_data(req, prep);
    say(req.flavour == Flavour::amd
            ? "CPU: SKINIT — HASH_START, HASH_DATA(SLB[0:" +
                  std::to_string(skl->slb.measured_length) + "]), HASH_END at locality 4"
            : "CPU: GETSEC[SENTER] — HASH_START, HASH_DATA(SINIT digest ‖ EDX), HASH_END at "
              "locality 4");
    cpu.drtm_sequence(dl_data);
    verify_drtm_sequence(t, banks, dl_data);

    // 4. The DCE, then 5. the DLME.
    TpmTarget target(t);
    Measurer m(target, kLogBanks);
    say(req.flavour == Flavour::amd
            ? "DCE: Secure Kernel Loader measures the DLME at locality 2"
            : "DCE: SINIT ACM measures the MLE and the platform policy at locality 3");
    run_dce_stage(m, req, prep, dl_data, banks);
    say(std::holds_alternative<LinuxDlme>(req.dlme)
            ? "DLME: Linux measures its configuration by the SLRT policy at locality 2"
            : "DLME: Xen measures the MBI, the SLRT and its modules at locality 2");
    run_dlme_stage(m, req, prep);

    // 6. The log as the DLME exposes it, and its replay against the TPM.
    LaunchResult result;
    result.eventlog = write_log(req.flavour, setup, m.records());
    result.slrt = slrt_bytes_of(setup);

    const auto tpm_pcrs = t.read_pcrs(banks, kDrtmPcrs);
    const auto info_after = t.info();
    t.set_locality(0);
    auto parsed = eventlog::parse_event_log(ByteView(result.eventlog));
    auto replayed = eventlog::replay(parsed);
    eventlog::PcrValues actual(tpm_pcrs.begin(), tpm_pcrs.end());
    auto comparison = eventlog::compare(replayed, actual);
    result.verified = comparison.ok();
    say(std::string("verify: the DRTM log replays to the TPM's PCR 17-22: ") +
        (result.verified ? "yes" : "NO"));

    nlohmann::json dce_json;
    if (skl)
        dce_json = {
            {"kind", "skl"},
            {"file", req.dce.string()},
            {"sha256", binary::to_hex(crypto::hash(HashAlg::sha256, skl->file))},
            {"measured_length", skl->slb.measured_length},
            {"layout", skl->slb.layout == image::SlbLayout::compact ? "compact" : "amd_header"}};
    else
        dce_json = {{"kind", "sinit"},
                    {"file", req.dce.string()},
                    {"sha256", binary::to_hex(crypto::hash(HashAlg::sha256, sinit->file))},
                    {"sinit_digest_sha256", binary::to_hex(sinit->digest)},
                    {"debug_signed", sinit->acm.debug_signed()}};
    result.summary = {
        {"flavour", flavour_name(req.flavour)},
        {"tcti", req.tcti},
        {"dce", dce_json},
        {"dlme", setup.description},
        {"dl_event_data_sha256", binary::to_hex(crypto::hash(HashAlg::sha256, dl_data))},
        {"slrt", {{"address", setup.slrt_addr}, {"size", result.slrt.size()}}},
        {"eventlog",
         {{"address", setup.log_addr},
          {"allocated", setup.log_size},
          {"used", parsed.end_offset()},
          {"events", parsed.size()}}},
        {"measurements", records_to_json(m.records())},
        {"tpm",
         {{"manufacturer", info_after.manufacturer},
          {"restart_count_before", info_before.restart_count},
          {"restart_count_after", info_after.restart_count},
          {"tpm_established", cpu.get_tpm_established()}}},
        {"replay_pcrs", eventlog::to_json(replayed)["pcrs"]},
        {"comparison", eventlog::to_json(comparison)},
        {"verified", result.verified},
    };
    result.summary["tpm_pcrs"] = eventlog::pcr_values_to_json(actual);
    return result;
}

SimulatedLaunch simulate_launch(const LaunchRequest& req) {
    PreparedLaunch prep = prepare_launch(req);
    SoftwarePcrs pcrs(kLogBanks);
    Measurer m(pcrs, kLogBanks);
    const Bytes dl_data = dl_event_data(req, prep);
    pcrs.dynamic_launch(dl_data);
    run_dce_stage(m, req, prep, dl_data, kLogBanks);
    run_dlme_stage(m, req, prep);
    SimulatedLaunch out;
    out.pcrs = pcrs.values(kDrtmPcrs);
    out.records = m.records();
    out.eventlog = write_log(req.flavour, prep.setup, out.records);
    return out;
}

Bytes build_slrt(const LaunchRequest& req) {
    return slrt_bytes_of(prepare_launch(req).setup);
}

void write_launch_outputs(const LaunchResult& result, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    binary::write_file_atomic(dir / "eventlog.bin", ByteView(result.eventlog));
    binary::write_file_atomic(dir / "slrt.bin", ByteView(result.slrt));
    binary::write_file_atomic(
        dir / "summary.json",
        std::string_view(
            result.summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));
}

}  // namespace drtm::launch
