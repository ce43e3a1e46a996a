#include "host/system_root.hpp"

#include <cstdlib>

namespace drtm::host {

SystemRoot::SystemRoot(std::filesystem::path prefix,
                       std::optional<std::filesystem::path> xl_dmesg_file)
    : prefix_(std::move(prefix)), xl_dmesg_file_(std::move(xl_dmesg_file)) {}

SystemRoot SystemRoot::from_environment(const std::string& root_option) {
    std::filesystem::path prefix = root_option;
    if (prefix.empty())
        if (const char* env = std::getenv(kRootVariable); env && *env) prefix = env;
    std::optional<std::filesystem::path> dmesg;
    if (const char* env = std::getenv(kXlDmesgVariable); env && *env) dmesg = env;
    return SystemRoot(prefix, dmesg);
}

std::filesystem::path SystemRoot::path(std::string_view absolute) const {
    if (prefix_.empty()) return std::filesystem::path(absolute);
    while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
    return prefix_ / absolute;
}

std::optional<std::filesystem::path> SystemRoot::xl_dmesg_file() const {
    if (xl_dmesg_file_) return xl_dmesg_file_;
    // Under a prefix the live `xl dmesg` would describe another machine.
    if (!prefix_.empty()) return prefix_ / "xl-dmesg";
    return std::nullopt;
}

}  // namespace drtm::host
