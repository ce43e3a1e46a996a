#include "tpm/platform_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace drtm::tpm {

PlatformLock::PlatformLock(const std::string& path, int timeout_ms) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0)
        throw std::runtime_error(path + ": cannot open platform lock: " + std::strerror(errno));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int e = errno;
            ::close(fd_);
            fd_ = -1;
            throw std::runtime_error(path + ": cannot lock: " + std::strerror(e));
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::close(fd_);
            fd_ = -1;
            throw std::runtime_error(path +
                                     ": the platform is busy (another drtm process holds it)");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

PlatformLock::~PlatformLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

PlatformLock::PlatformLock(PlatformLock&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}

PlatformLock& PlatformLock::operator=(PlatformLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

}  // namespace drtm::tpm
