// Where drtm finds the running machine's state. On a live system every path is
// the real one (/sys, /dev/mem, /dev/tpmrm0, `xl dmesg`); under a root prefix
// (--root DIR or DRTM_ROOT) each is looked up inside DIR instead, so tests and
// offline analysis run against a captured tree with the same code.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace drtm::host {

// The environment variables that redirect what drtm reads on a live system.
inline constexpr const char* kRootVariable = "DRTM_ROOT";
inline constexpr const char* kXlDmesgVariable = "DRTM_XL_DMESG";

class SystemRoot {
  public:
    // The live system: no prefix.
    SystemRoot() = default;
    explicit SystemRoot(std::filesystem::path prefix,
                        std::optional<std::filesystem::path> xl_dmesg_file = std::nullopt);

    // --root when given, else $DRTM_ROOT, else the live system. $DRTM_XL_DMESG,
    // when set, names a file holding the hypervisor's boot messages.
    static SystemRoot from_environment(const std::string& root_option = "");

    bool is_live() const { return prefix_.empty(); }
    const std::filesystem::path& prefix() const { return prefix_; }

    // `absolute` ("/sys/kernel/security/...") under the prefix.
    std::filesystem::path path(std::string_view absolute) const;

    // Where Xen's boot messages come from: a file ($DRTM_XL_DMESG, or
    // ROOT/xl-dmesg under a prefix), or nullopt for the `xl dmesg` command.
    std::optional<std::filesystem::path> xl_dmesg_file() const;

  private:
    std::filesystem::path prefix_;
    std::optional<std::filesystem::path> xl_dmesg_file_;
};

}  // namespace drtm::host
