// A listening Unix socket at a fresh path in the temporary directory, for
// tests that script the peer of a client (QMP, the gdbstub); the socket
// file is removed when it goes.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace testsupport {

class UnixListener {
  public:
    explicit UnixListener(const std::string& name)
        : path_(std::filesystem::temp_directory_path() /
                ("drtm-" + name + "-" + std::to_string(::getpid()) + ".sock")) {
        std::filesystem::remove(path_);
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, path_.c_str());
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 1) != 0)
            throw std::runtime_error("cannot listen on " + path_.string());
    }
    ~UnixListener() {
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    UnixListener(const UnixListener&) = delete;
    UnixListener& operator=(const UnixListener&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // The next client's descriptor, or -1 when none connects in time (a
    // client that never connects must not hang the test).
    int accept(int timeout_ms = 5000) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) != 1) return -1;
        return ::accept(fd_, nullptr, nullptr);
    }

  private:
    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace testsupport
