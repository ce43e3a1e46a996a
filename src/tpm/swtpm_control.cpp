#include "tpm/swtpm_control.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "binary/writer.hpp"
#include "tpm/swtpm_wire.hpp"

namespace drtm::tpm {

namespace {
using namespace swtpm_wire;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

void wait_io(int fd, short events, int timeout_ms, const std::string& what) {
    pollfd p{fd, events, 0};
    int r;
    do {
        r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        throw ControlError(what + ": swtpm control channel did not answer within " +
                           std::to_string(timeout_ms) + " ms (is another client attached?)");
    if (r < 0) throw ControlError(what + ": poll: " + std::strerror(errno));
}

void read_exact(int fd, std::uint8_t* buf, std::size_t n, int timeout_ms, const std::string& what) {
    std::size_t got = 0;
    while (got < n) {
        wait_io(fd, POLLIN, timeout_ms, what);
        ssize_t r = ::read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            throw ControlError(what + ": swtpm closed the control connection after " +
                               std::to_string(got) + " of " + std::to_string(n) + " bytes");
        got += static_cast<std::size_t>(r);
    }
}
}  // namespace

SwtpmControl::SwtpmControl(ControlEndpoint endpoint, int timeout_ms)
    : endpoint_(std::move(endpoint)), timeout_ms_(timeout_ms) {}

int SwtpmControl::connect_socket() {
    if (!endpoint_.unix_path.empty()) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw ControlError(std::string("socket: ") + std::strerror(errno));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (endpoint_.unix_path.size() >= sizeof addr.sun_path) {
            ::close(fd);
            throw ControlError("control socket path too long: " + endpoint_.unix_path);
        }
        std::strcpy(addr.sun_path, endpoint_.unix_path.c_str());
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            int e = errno;
            ::close(fd);
            throw ControlError("cannot connect to swtpm control socket " + endpoint_.unix_path +
                               ": " + std::strerror(e));
        }
        return fd;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string port = std::to_string(endpoint_.port);
    if (::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &res) != 0 || !res)
        throw ControlError("cannot resolve swtpm control host " + endpoint_.host);
    int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    int rc = fd < 0 ? -1 : ::connect(fd, res->ai_addr, res->ai_addrlen);
    int e = errno;
    ::freeaddrinfo(res);
    if (rc != 0) {
        if (fd >= 0) ::close(fd);
        throw ControlError("cannot connect to swtpm control port " + endpoint_.host + ":" + port +
                           ": " + std::strerror(e));
    }
    return fd;
}

binary::Bytes SwtpmControl::transact(std::uint32_t cmd, binary::ByteView payload,
                                     std::size_t success_extra) {
    const std::string what = command_name(cmd);
    binary::Writer req(4 + payload.size());
    req.u32be(cmd);
    req.bytes(payload);
    Fd sock{connect_socket()};
    // swtpm wants the whole message within 500 ms, so send it in one write.
    std::size_t sent = 0;
    while (sent < req.size()) {
        ssize_t n = ::send(sock.fd, req.data().data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw ControlError(what + ": send: " + std::strerror(errno));
        sent += static_cast<std::size_t>(n);
    }
    std::uint8_t result_bytes[4];
    read_exact(sock.fd, result_bytes, 4, timeout_ms_, what);
    std::uint32_t result = static_cast<std::uint32_t>(result_bytes[0]) << 24 |
                           static_cast<std::uint32_t>(result_bytes[1]) << 16 |
                           static_cast<std::uint32_t>(result_bytes[2]) << 8 | result_bytes[3];
    if (result != 0) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%x", result);
        throw ControlError(what + " failed with swtpm result " + hex, result);
    }
    binary::Bytes extra(success_extra);
    if (success_extra) read_exact(sock.fd, extra.data(), success_extra, timeout_ms_, what);
    return extra;
}

std::uint64_t SwtpmControl::get_capability() {
    // 0.7.x defines the reply as one u64; newer swtpm as result + u32 caps.
    // Both are 8 bytes on the wire and the caps are the last four.
    auto extra = transact(kGetCapability, {}, 4);
    return static_cast<std::uint64_t>(extra[0]) << 24 | extra[1] << 16 | extra[2] << 8 | extra[3];
}

void SwtpmControl::init(bool delete_volatile) {
    binary::Writer w;
    w.u32be(delete_volatile ? 1 : 0);
    transact(kInit, w.data(), 0);
}

void SwtpmControl::shutdown() {
    transact(kShutdown, {}, 0);
}

bool SwtpmControl::get_tpm_established() {
    auto extra = transact(kGetTpmEstablished, {}, 4);
    return extra[0] != 0;
}

void SwtpmControl::reset_tpm_established(std::uint8_t locality) {
    std::uint8_t loc = locality;
    transact(kResetTpmEstablished, binary::ByteView(&loc, 1), 0);
}

void SwtpmControl::set_locality(std::uint8_t locality) {
    std::uint8_t loc = locality;
    transact(kSetLocality, binary::ByteView(&loc, 1), 0);
}

void SwtpmControl::store_volatile() {
    transact(kStoreVolatile, {}, 0);
}

void SwtpmControl::hash_start() {
    transact(kHashStart, {}, 0);
}

void SwtpmControl::hash_data(binary::ByteView data) {
    for (std::size_t off = 0; off < data.size(); off += kMaxHashChunk) {
        std::size_t n = std::min(kMaxHashChunk, data.size() - off);
        binary::Writer w(4 + n);
        w.u32be(static_cast<std::uint32_t>(n));
        w.bytes(data.subspan(off, n));
        transact(kHashData, w.data(), 0);
    }
}

void SwtpmControl::hash_end() {
    transact(kHashEnd, {}, 0);
}

void SwtpmControl::drtm_sequence(binary::ByteView data) {
    hash_start();
    hash_data(data);
    hash_end();
}

}  // namespace drtm::tpm
