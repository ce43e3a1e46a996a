// What an inspection measures, and where: the same stage code extends a
// running guest's TPM (through its multiplexer) and a software model of the
// PCRs (the prediction a verifier appraises against), as launch/ and
// predict/ do for a first launch.
//
//   PCR 17  the dynamic launch of the inspector: _TPM_Hash_Start/Data/End at
//           locality 4 with the inspector descriptor (its own SHA-256), so
//           PCR 17 = E(0, H(descriptor)); logged as SKL logs SKINIT.
//   PCR 18  the rules the guest was held to ("linux native", "linux
//           xen-pv", "xen": the ASCII text), then the golden image it is
//           compared with (the file's bytes), at locality 2, as a DLME
//           measures its configuration.
//           Inspecting Xen and its dom0 in one launch measures Xen's PCR 18
//           and 19 records, then dom0's.
//   PCR 19  the guest's normalised .text, then .rodata, at locality 2:
//           equal to the golden sections when only patch sites differ, so an
//           intact guest gives a predictable value and one unexplained byte
//           gives another. The verifier needs no trust in the verdict text.
//           When the inspection found anything, a last record lists it
//           (findings_text() in code_inspection.hpp: one line per
//           unexplained region, in the event data and hashed), so a
//           finding the bytes cannot show (a jump label left in its golden
//           form against its key) changes PCR 19 too.
//   PCR 20  the LSMs a Linux guest runs (lsm_set(): "apparmor bpf_lsm
//           capability ..."), at locality 2, when its hook lists were
//           judged: an LSM switched off whole passes the lists' rules (it
//           looks like one never enabled) but not a verifier that expects
//           the set. A prediction needs the set given to it; without it,
//           PCR 20 is left out of the prediction's PCRs (so a policy does
//           not hold it), not guessed.
//
// Records use TrenchBoot's DLME event type (0x502) with ASCII labels, in a
// crypto-agile (SHA-1, SHA-256) log that `drtm log verify` and the verifier
// replay like any DRTM log.
#pragma once

#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "launch/measurer.hpp"
#include "tpm/tpm.hpp"

namespace drtm::inspect {

// One image the inspection compared.
struct InspectedImage {
    std::string rules;              // GoldenCode::inspection_rules()
    binary::ByteView golden_image;  // the golden file (the bzImage, xen-syms)
    std::string golden_build_id;    // hex; named in the log, not measured separately
    binary::ByteView text;          // normalised (a guest) or golden (a prediction)
    binary::ByteView rodata;
    std::string findings;  // empty for an intact guest, and for a prediction
    // False when the inspection of this image failed (Xen's dom0 not
    // found, say): its rules and golden file are measured, then only the
    // findings record (which says why), so the PCRs match no prediction.
    bool inspected = true;
    // The LSMs running (lsm_set()), measured into PCR 20 when not empty.
    std::string lsms{};
    // A prediction for an image with LSM hook lists, not told which LSMs
    // run: PCR 20 is not predicted.
    bool lsms_unknown = false;
};

// What one launch of the inspector measures: the images in the order they
// were inspected (Xen before its dom0), each as PCR 18 and 19 records
// above, one image after the other.
struct InspectionSubject {
    binary::Bytes inspector_sha256;  // of the inspector's executable
    std::vector<InspectedImage> images;
};

// The bytes the inspector's launch hashes into PCR 17 (ASCII, one line per
// field): "drtm-inspector/1", then "inspector-sha256 <hex>".
binary::Bytes inspector_descriptor(binary::ByteView inspector_sha256);

// SHA-256 of an inspector executable, read in 1 MiB pieces (drtm's own
// binary is over 100 MiB with its debug information); by default the running
// one (/proc/self/exe).
binary::Bytes inspector_sha256(const std::string& path = "/proc/self/exe");

struct InspectionMeasurement {
    std::vector<launch::LogRecord> records;
    binary::Bytes eventlog;  // crypto-agile log of `records`
    tpm::PcrBanks pcrs;      // PCR 17-22 in the log banks
    bool verified = false;   // the log replays to the TPM's PCRs (always true for a prediction)
    std::vector<std::uint32_t> unpredicted;  // PCRs a prediction leaves out (PCR 20, see above)
};

// On the guest's TPM: `tcti` must be the multiplexer's host side
// (swtpm:path=<vm>/tpm.sock), whose control channel carries the hash
// sequence. Throws if the sequence did not take effect.
InspectionMeasurement measure_inspection(const std::string& tcti, const InspectionSubject& subject);

// The same stages on software PCRs.
InspectionMeasurement predict_inspection(const InspectionSubject& subject);

// {"pcrs": {...}, "events": [...], "verified"} — "pcrs" shaped as `drtm
// predict --json`, so a policy's reference_values take it as it is; a
// prediction's unpredicted PCRs are left out of "pcrs" and listed in
// "unpredicted_pcrs".
nlohmann::json to_json(const InspectionMeasurement& m);

}  // namespace drtm::inspect
