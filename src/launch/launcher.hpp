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
#include "launch/txt_platform.hpp"

namespace drtm::launch {

enum class Flavour { amd, intel };
std::string_view flavour_name(Flavour f);

struct LinuxDlme {
    std::filesystem::path kernel;  // bzImage
    std::optional<std::filesystem::path> initrd;
    std::string cmdline;
};

struct XenModule {
    std::filesystem::path file;
    std::string cmdline;
};

struct XenDlme {
    std::filesystem::path xen;  // xen.gz or an uncompressed Multiboot2 image
    std::string cmdline;
    std::vector<XenModule> modules;  // dom0 kernel first, then its initrd, ...
};

struct LaunchRequest {
    std::string tcti;  // must reach a swtpm control channel: swtpm:path=... or swtpm:port=...
    Flavour flavour = Flavour::amd;
    std::filesystem::path dce;  // SKL image (AMD) or SINIT ACM (Intel)
    std::variant<LinuxDlme, XenDlme> dlme;
    TxtPlatform txt_platform;  // Intel only
    std::function<void(const std::string&)> progress;
};

struct LaunchResult {
    binary::Bytes eventlog;  // the whole log buffer, as the DLME exposes it
    binary::Bytes slrt;      // the SLRT's `size` bytes
    nlohmann::json summary;
    bool verified = false;  // the log replays to the TPM's PCR 17-22
};

LaunchResult perform_launch(const LaunchRequest& request);

// The bootloader half alone (no TPM): the SLRT GRUB would write for this
// launch, as its `size` bytes. What `drtm slrt build` prints.
binary::Bytes build_slrt(const LaunchRequest& request);

// Writes eventlog.bin, slrt.bin and summary.json into `dir` atomically.
void write_launch_outputs(const LaunchResult& result, const std::filesystem::path& dir);

}  // namespace drtm::launch
