// What a launch is asked to do: the flavour, the DCE, the DLME and, for
// Intel, the platform description. Shared by the launcher, the emulated
// bootloader and the predictor.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

}  // namespace drtm::launch
