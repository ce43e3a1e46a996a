#include "inspect/unix_stream.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace drtm::inspect {

int connect_unix_stream(const std::filesystem::path& socket, int timeout_ms) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket.string().size() >= sizeof addr.sun_path)
        throw std::runtime_error("socket path too long: " + socket.string());
    std::strcpy(addr.sun_path, socket.c_str());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
        const int e = errno;
        ::close(fd);
        if (std::chrono::steady_clock::now() >= deadline)
            throw std::runtime_error("cannot connect to " + socket.string() + ": " +
                                     std::strerror(e));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void send_all(int fd, std::string_view data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t k = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        sent += static_cast<std::size_t>(k);
    }
}

}  // namespace drtm::inspect
