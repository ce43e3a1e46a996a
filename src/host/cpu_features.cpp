#include "host/cpu_features.hpp"

#include <fstream>
#include <sstream>

namespace drtm::host {

namespace {

struct CpuInfo {
    std::string vendor;
    std::string flags;
};

std::optional<CpuInfo> first_cpu(const SystemRoot& root) {
    std::ifstream in(root.path("/proc/cpuinfo"));
    if (!in) return std::nullopt;
    CpuInfo info;
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) {
            if (!info.flags.empty()) break;  // end of the first processor's block
            continue;
        }
        std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
        std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
        if (key == "vendor_id") info.vendor = value;
        if (key == "flags") info.flags = " " + value + " ";
    }
    if (info.flags.empty()) return std::nullopt;
    return info;
}

}  // namespace

std::optional<bool> cpu_has_smx(const SystemRoot& root) {
    auto cpu = first_cpu(root);
    if (!cpu) return std::nullopt;
    return cpu->flags.find(" smx ") != std::string::npos;
}

std::string no_smx_hint(const SystemRoot& root) {
    auto cpu = first_cpu(root);
    if (!cpu || cpu->flags.find(" smx ") != std::string::npos) return "";
    std::string hint = "; the CPU";
    if (!cpu->vendor.empty()) hint += " (" + cpu->vendor + ")";
    hint += " does not report SMX in /proc/cpuinfo, so Intel TXT is not available";
    if (cpu->vendor == "AuthenticAMD")
        hint += " (AMD platforms launch with SKINIT and have no TXT heap)";
    return hint;
}

}  // namespace drtm::host
