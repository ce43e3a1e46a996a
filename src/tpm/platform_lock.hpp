// Serialises TPM traffic between drtm processes sharing one emulated
// platform. A DRTM hash sequence is silently aborted by any TPM command that
// arrives between HASH_START and HASH_END (reference/swtpm.md §4.3), so every
// drtm process holds this lock for as long as it talks to the TPM.
#pragma once

#include <string>

namespace drtm::tpm {

class PlatformLock {
  public:
    PlatformLock() = default;
    // Blocks up to timeout_ms; throws std::runtime_error naming the file.
    PlatformLock(const std::string& path, int timeout_ms);
    ~PlatformLock();
    PlatformLock(PlatformLock&& other) noexcept;
    PlatformLock& operator=(PlatformLock&& other) noexcept;
    PlatformLock(const PlatformLock&) = delete;
    PlatformLock& operator=(const PlatformLock&) = delete;

    bool held() const noexcept { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

}  // namespace drtm::tpm
