// The emulated DRTM platform: a swtpm (libtpms TPM 2.0) that drtm starts,
// owns and stops. Its sockets live in a private state directory (mode 0700)
// because swtpm's locality checks are not a security boundary
// (reference/swtpm.md §5.2): whoever reaches the sockets can act as the CPU.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "crypto/hash_alg.hpp"

namespace drtm::launch {

struct PlatformStatus {
    bool running = false;
    pid_t pid = 0;
    std::string tcti;
    std::filesystem::path state_dir;
};

struct PlatformOptions {
    // Manufacture EK certificates (RSA-2048 at NV 0x01c00002, P-256 at
    // 0x01c0000a) signed by a CA of this platform's own, DIR/ek-ca.pem.
    bool ek_certificates = false;
};

class EmulatedPlatform {
  public:
    // Starts swtpm in `state_dir` (created if needed; the TPM is manufactured
    // with the given PCR banks on first use) and waits until it answers.
    // Returns the TCTI string ("swtpm:path=DIR/tpm.sock"). Throws when swtpm
    // is missing, the directory is in use, or swtpm does not come up.
    static std::string start(const std::filesystem::path& state_dir,
                             const std::vector<crypto::HashAlg>& banks,
                             const std::function<void(const std::string&)>& progress = {},
                             const PlatformOptions& options = {});
    // Stops the swtpm of `state_dir` (control SHUTDOWN, then signals) and
    // removes its sockets. Returns false when nothing was running.
    static bool stop(const std::filesystem::path& state_dir);
    static PlatformStatus status(const std::filesystem::path& state_dir);
    static std::string tcti_for(const std::filesystem::path& state_dir);
};

// A platform for the duration of one command or test: starts in a fresh
// temporary directory and is stopped and removed by the destructor, so no
// swtpm process outlives its owner.
class ScopedPlatform {
  public:
    explicit ScopedPlatform(const std::vector<crypto::HashAlg>& banks = {crypto::HashAlg::sha1,
                                                                         crypto::HashAlg::sha256},
                            const PlatformOptions& options = {});
    ~ScopedPlatform();
    ScopedPlatform(const ScopedPlatform&) = delete;
    ScopedPlatform& operator=(const ScopedPlatform&) = delete;

    const std::string& tcti() const noexcept { return tcti_; }
    const std::filesystem::path& state_dir() const noexcept { return dir_; }

  private:
    std::filesystem::path dir_;
    std::string tcti_;
};

}  // namespace drtm::launch
