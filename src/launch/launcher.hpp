// The dynamic launch, end to end, on the emulated platform: the bootloader
// places the DCE, the DLME and its configuration in memory and writes the
// SLRT; the CPU runs the DRTM hash sequence; the DCE (SKL or SINIT) and the
// DLME (Linux or Xen) measure at their localities; the DRTM log is written in
// the format the DCE/DLME write it; and the log is replayed against the TPM.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"
#include "launch/dce_images.hpp"
#include "launch/emulated_grub.hpp"
#include "launch/launch_request.hpp"
#include "launch/measurer.hpp"
#include "launch/txt_platform.hpp"
#include "tpm/tpm.hpp"

namespace drtm::launch {

struct LaunchResult {
    binary::Bytes eventlog;  // the whole log buffer, as the DLME exposes it
    binary::Bytes slrt;      // the SLRT's `size` bytes
    nlohmann::json summary;
    bool verified = false;  // the log replays to the TPM's PCR 17-22
};

LaunchResult perform_launch(const LaunchRequest& request);

// The pieces perform_launch() is made of, for callers that run the same
// stages on another PcrTarget (a prediction runs them on SoftwarePcrs).
class Measurer;

struct PreparedLaunch {
    std::optional<SklDce> skl;
    std::optional<SinitDce> sinit;
    BootSetup setup;  // memory, SLRT and DLME as the bootloader left them
};

// The banks the DCE and DLME stages hash and log: SHA-1 and SHA-256.
const std::vector<crypto::HashAlg>& log_banks();
PreparedLaunch prepare_launch(const LaunchRequest& request);
// What the CPU sends through _TPM_Hash_Data: SLB[0:SL_SIZE], or SINIT digest ‖ EDX.
binary::Bytes dl_event_data(const LaunchRequest& request, const PreparedLaunch& prepared);
void run_dce_stage(Measurer& m, const LaunchRequest& request, const PreparedLaunch& prepared,
                   binary::ByteView dl_data, const std::vector<crypto::HashAlg>& tpm_banks);
void run_dlme_stage(Measurer& m, const LaunchRequest& request, const PreparedLaunch& prepared);

// The same stages on software PCRs, with the files as they are: the PCR
// 17-22 values and the log bytes a launch of `request` gives on a TPM with
// the SHA-1 and SHA-256 banks (AMD; Intel with drtm's SINIT model). What a
// boot-time launch gives its guest before the TPM has run it.
struct SimulatedLaunch {
    tpm::PcrBanks pcrs;
    std::vector<LogRecord> records;
    binary::Bytes eventlog;  // as perform_launch() writes it
};
SimulatedLaunch simulate_launch(const LaunchRequest& request);

// The bootloader half alone (no TPM): the SLRT GRUB would write for this
// launch, as its `size` bytes. What `drtm slrt build` prints.
binary::Bytes build_slrt(const LaunchRequest& request);

// Checks that the DRTM hash sequence with `data` took effect: PCR 17 =
// E(0, H(data)) and PCR 18-22 zero in every bank. Throws saying what differs.
void verify_drtm_sequence(tpm::Tpm& tpm, const std::vector<crypto::HashAlg>& banks,
                          binary::ByteView data);

// Writes eventlog.bin, slrt.bin and summary.json into `dir` atomically.
void write_launch_outputs(const LaunchResult& result, const std::filesystem::path& dir);

}  // namespace drtm::launch
