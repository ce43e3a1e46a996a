#include "inspect/tpm_multiplexer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "tpm/swtpm_wire.hpp"

namespace drtm::inspect {

namespace wire = tpm::swtpm_wire;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::size_t kTpmHeader = 10;
constexpr std::size_t kMaxTpmMessage = 4096;  // the buffer size QEMU negotiates
constexpr int kClientTimeoutMs = 1000;        // a client must send its whole request within this
// Capabilities QEMU must not see: the variable-length state-blob commands.
constexpr std::uint64_t kHiddenFromQemu =
    wire::kCapGetStateBlob | wire::kCapSetStateBlob | wire::kCapLockStorage;

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept {
        reset(o.release());
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    explicit operator bool() const { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

std::runtime_error sys_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

struct PeerGone : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads exactly n bytes, waiting at most timeout_ms for each chunk.
void read_exact(int fd, std::uint8_t* buf, std::size_t n, int timeout_ms, const char* what) {
    std::size_t got = 0;
    while (got < n) {
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0)
            throw PeerGone(std::string(what) + ": no data within " + std::to_string(timeout_ms) +
                           " ms");
        ssize_t k = ::recv(fd, buf + got, n - got, 0);
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (k <= 0) throw PeerGone(std::string(what) + ": connection closed");
        got += static_cast<std::size_t>(k);
    }
}

// Whatever of up to n more bytes is already waiting (the tail of a request
// written in one piece).
std::size_t read_available(int fd, std::uint8_t* buf, std::size_t n) {
    ssize_t k = ::recv(fd, buf, n, MSG_DONTWAIT);
    return k > 0 ? static_cast<std::size_t>(k) : 0;
}

void write_all(int fd, const std::uint8_t* buf, std::size_t n, const char* what) {
    std::size_t sent = 0;
    while (sent < n) {
        ssize_t k = ::send(fd, buf + sent, n - sent, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) throw PeerGone(std::string(what) + ": " + std::strerror(errno));
        sent += static_cast<std::size_t>(k);
    }
}

std::uint32_t be32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
}
void put_be32(Bytes& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
Bytes result_only(std::uint32_t result) {
    Bytes b;
    put_be32(b, result);
    return b;
}

// A stream socket and the address of `path`.
Fd unix_socket(const std::filesystem::path& path, sockaddr_un& addr) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw sys_error("socket");
    addr = sockaddr_un{};
    addr.sun_family = AF_UNIX;
    if (path.string().size() >= sizeof addr.sun_path)
        throw std::runtime_error("socket path too long: " + path.string());
    std::strcpy(addr.sun_path, path.c_str());
    return fd;
}

Fd listen_unix(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    sockaddr_un addr;
    Fd fd = unix_socket(path, addr);
    // Only the owner may reach the TPM's locality-4 powers.
    mode_t old = ::umask(0077);
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0) throw sys_error("bind " + path.string());
    if (::listen(fd.get(), 16) != 0) throw sys_error("listen " + path.string());
    return fd;
}

Fd connect_unix(const std::filesystem::path& path) {
    sockaddr_un addr;
    Fd fd = unix_socket(path, addr);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw sys_error("connect to swtpm control socket " + path.string());
    return fd;
}

// Receives the 4-byte control code and, if attached, one descriptor
// (QEMU's SET_DATAFD rides on the code's message).
std::uint32_t recv_code_with_fd(int fd, Fd& passed) {
    std::uint8_t code[4];
    std::size_t got = 0;
    while (got < 4) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, kClientTimeoutMs) == 0) throw PeerGone("control code: timeout");
        iovec iov{code + got, 4 - got};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t k = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (k <= 0) throw PeerGone("control connection closed");
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                int received;
                std::memcpy(&received, CMSG_DATA(c), sizeof received);
                passed.reset(received);
            }
        got += static_cast<std::size_t>(k);
    }
    return be32(code);
}

void send_with_fd(int sock, const Bytes& data, int fd_to_pass) {
    iovec iov{const_cast<std::uint8_t*>(data.data()), data.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd_to_pass, sizeof fd_to_pass);
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) != static_cast<ssize_t>(data.size()))
        throw sys_error("SET_DATAFD to swtpm");
}

// A TPM command or response: 10-byte header whose u32 at offset 2 is the
// total size.
Bytes read_tpm_message(int fd, int timeout_ms, const char* what) {
    Bytes m(kTpmHeader);
    read_exact(fd, m.data(), kTpmHeader, timeout_ms, what);
    const std::uint32_t size = be32(m.data() + 2);
    if (size < kTpmHeader || size > kMaxTpmMessage)
        throw PeerGone(std::string(what) + ": TPM message size " + std::to_string(size) +
                       " outside 10-" + std::to_string(kMaxTpmMessage));
    m.resize(size);
    read_exact(fd, m.data() + kTpmHeader, size - kTpmHeader, timeout_ms, what);
    return m;
}

Bytes tpm_error_response(std::uint32_t rc) {
    Bytes r = {0x80, 0x01};
    put_be32(r, kTpmHeader);
    put_be32(r, rc);
    return r;
}

enum class ClientKind { qemu_control, host_data, host_control };

struct Client {
    Fd fd;
    ClientKind kind;
};

}  // namespace

struct TpmMultiplexer::Impl {
    TpmMultiplexerOptions o;
    Fd swtpm_ctrl, swtpm_data;  // our connections to swtpm
    Fd qemu_listener, host_data_listener, host_ctrl_listener;
    Fd guest_data;  // QEMU's data channel (its SET_DATAFD)
    Fd wake_read, wake_write;
    std::vector<Client> clients;
    std::uint64_t swtpm_caps = 0;
    int swtpm_locality = -1;  // unknown until we set it
    std::uint8_t guest_locality = 0, host_locality = 0;
    bool held = false;
    std::chrono::steady_clock::time_point hold_deadline;
    bool shutting_down = false;
    // The boot-time launch: the guest's first successful TPM2_Startup
    // response, held until release_startup().
    bool startup_seen = false;
    std::optional<Bytes> held_startup;
    std::atomic<bool> stop_requested{false}, release_requested{false};
    mutable std::mutex stats_mutex;
    TpmMultiplexerStats stats;

    void log(const std::string& s) const {
        if (o.log) o.log(s);
    }

    // One control request to swtpm; returns its whole reply. A broken link
    // to swtpm is not a client's problem: it ends run() with the reason.
    Bytes control(std::uint32_t code, const Bytes& payload) {
        try {
            return control_unchecked(code, payload);
        } catch (const PeerGone& e) {
            throw std::runtime_error(std::string("the link to swtpm broke: ") + e.what());
        }
    }
    Bytes control_unchecked(std::uint32_t code, const Bytes& payload) {
        Bytes req;
        put_be32(req, code);
        req.insert(req.end(), payload.begin(), payload.end());
        write_all(swtpm_ctrl.get(), req.data(), req.size(), "swtpm control");
        Bytes reply(4);
        read_exact(swtpm_ctrl.get(), reply.data(), 4, o.swtpm_timeout_ms, "swtpm control");
        auto total = wire::reply_size(code, be32(reply.data()));
        if (!total)
            throw std::runtime_error(std::string("cannot relay ") + wire::command_name(code));
        reply.resize(*total);
        read_exact(swtpm_ctrl.get(), reply.data() + 4, *total - 4, o.swtpm_timeout_ms,
                   "swtpm control");
        return reply;
    }

    void use_locality(std::uint8_t loc) {
        if (swtpm_locality == loc) return;
        auto r = control(wire::kSetLocality, Bytes{loc, 0, 0, 0});
        if (be32(r.data()) != wire::kResultSuccess)
            throw std::runtime_error("swtpm refused locality " + std::to_string(loc));
        swtpm_locality = loc;
        std::lock_guard lock(stats_mutex);
        ++stats.locality_switches;
    }

    Bytes tpm_command(const Bytes& command, std::uint8_t loc) {
        use_locality(loc);
        try {
            write_all(swtpm_data.get(), command.data(), command.size(), "swtpm data");
            return read_tpm_message(swtpm_data.get(), o.swtpm_timeout_ms, "swtpm data");
        } catch (const PeerGone& e) {
            throw std::runtime_error(std::string("the link to swtpm broke: ") + e.what());
        }
    }

    void connect_swtpm() {
        swtpm_ctrl = connect_unix(o.swtpm_control);
        // Our own data channel, as QEMU would pass its own.
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
            throw sys_error("socketpair");
        swtpm_data.reset(pair[0]);
        Fd theirs(pair[1]);
        Bytes req;
        put_be32(req, wire::kSetDataFd);
        send_with_fd(swtpm_ctrl.get(), req, theirs.get());
        Bytes reply(4);
        read_exact(swtpm_ctrl.get(), reply.data(), 4, o.swtpm_timeout_ms, "SET_DATAFD");
        if (be32(reply.data()) != wire::kResultSuccess)
            throw std::runtime_error(
                "swtpm refused the multiplexer's data channel (result " +
                std::to_string(be32(reply.data())) +
                "): was it started with --server, or does another client hold it?");
        auto caps = control(wire::kGetCapability, {});
        swtpm_caps = std::uint64_t(be32(caps.data())) << 32 | be32(caps.data() + 4);
    }

    // Reads a control request's payload after its code (fixed sizes from the
    // table; HASH_DATA's length-prefixed data). nullopt: not relayable.
    std::optional<Bytes> read_payload(int fd, std::uint32_t code) {
        Bytes payload;
        if (code == wire::kHashData) {
            payload.resize(4);
            read_exact(fd, payload.data(), 4, kClientTimeoutMs, "HASH_DATA");
            const std::uint32_t n = be32(payload.data());
            if (n > wire::kMaxHashData) return std::nullopt;
            payload.resize(4 + n);
            read_exact(fd, payload.data() + 4, n, kClientTimeoutMs, "HASH_DATA");
            return payload;
        }
        auto size = wire::request_payload(code);
        if (!size) return std::nullopt;
        payload.resize(size->max);
        read_exact(fd, payload.data(), size->min, kClientTimeoutMs, wire::command_name(code));
        std::size_t extra = size->max > size->min ? read_available(fd, payload.data() + size->min,
                                                                   size->max - size->min)
                                                  : 0;
        payload.resize(size->min + extra);
        return payload;
    }

    // A side's SET_LOCALITY is answered here, not sent to swtpm: each side's
    // locality is applied before its own commands (use_locality).
    static Bytes remember_locality(const Bytes& payload, std::uint8_t highest, std::uint8_t& side) {
        const std::uint8_t loc = payload[0];
        if (loc > highest) return result_only(wire::kResultBadLocality);
        side = loc;
        return result_only(wire::kResultSuccess);
    }

    // QEMU's control requests. Returns false when the connection must close.
    bool serve_qemu_control(Client& c) {
        Fd passed;
        const std::uint32_t code = recv_code_with_fd(c.fd.get(), passed);
        if (code == wire::kSetDataFd) {
            if (!passed) {
                reply(c, result_only(wire::kResultBadParameter));
                return true;
            }
            guest_data = std::move(passed);
            reply(c, result_only(wire::kResultSuccess));
            return true;
        }
        auto payload = read_payload(c.fd.get(), code);
        if (!payload) {
            log(std::string("QEMU sent ") + wire::command_name(code) +
                ", which the multiplexer does not relay; closing its control connection");
            reply(c, result_only(wire::kResultBadOrdinal));
            return false;
        }
        switch (code) {
            case wire::kGetCapability: {
                const std::uint64_t caps = swtpm_caps & ~kHiddenFromQemu;
                Bytes r;
                put_be32(r, static_cast<std::uint32_t>(caps >> 32));
                put_be32(r, static_cast<std::uint32_t>(caps));
                reply(c, r);
                return true;
            }
            case wire::kSetLocality:
                // QEMU's TIS never uses locality 4.
                reply(c, remember_locality(*payload, 3, guest_locality));
                return true;
            case wire::kCancelTpmCmd:
                // Commands run to completion one at a time here.
                reply(c, result_only(wire::kResultSuccess));
                return true;
            case wire::kGetStateBlob:
            case wire::kSetStateBlob:
            case wire::kLockStorage:
            case wire::kHashStart:
            case wire::kHashData:
            case wire::kHashEnd:
            case wire::kSetDataFd:
                reply(c, result_only(wire::kResultBadOrdinal));
                return true;
            case wire::kResetTpmEstablished: {
                // swtpm acts on the locality in the payload: the guest's own,
                // whatever QEMU put there.
                Bytes at_guest = {guest_locality, 0, 0, 0};
                reply(c, control(code, at_guest));
                return true;
            }
            case wire::kShutdown: {
                auto r = control(code, *payload);
                shutting_down = true;  // swtpm is gone, whether or not QEMU hears it
                reply(c, r);
                return false;
            }
            case wire::kInit:
            case wire::kStop:
            case wire::kSetBufferSize:
            case wire::kGetTpmEstablished:
                reply(c, control(code, *payload));
                return true;
            default:
                // Nothing else is relayed: a reply this table cannot frame
                // would desynchronise the control channel.
                reply(c, result_only(wire::kResultBadOrdinal));
                return true;
        }
    }

    bool serve_host_control(Client& c) {
        std::uint8_t code_bytes[4];
        read_exact(c.fd.get(), code_bytes, 4, kClientTimeoutMs, "host control");
        const std::uint32_t code = be32(code_bytes);
        auto payload = read_payload(c.fd.get(), code);
        if (!payload) {
            reply(c, result_only(wire::kResultBadOrdinal));
            return false;
        }
        switch (code) {
            case wire::kSetLocality:
                reply(c, remember_locality(*payload, 4, host_locality));
                return true;
            case wire::kGetCapability:
            case wire::kGetTpmEstablished:
            case wire::kHashData:
                reply(c, control(code, *payload));
                return true;
            case wire::kResetTpmEstablished: {
                Bytes at_host = {static_cast<std::uint8_t>((*payload)[0]), 0, 0, 0};
                reply(c, control(code, at_host));
                return true;
            }
            case wire::kHashStart: {
                auto r = control(code, *payload);
                if (be32(r.data()) == wire::kResultSuccess) {
                    held = true;
                    hold_deadline = std::chrono::steady_clock::now() +
                                    std::chrono::milliseconds(o.hold_timeout_ms);
                }
                reply(c, r);
                return true;
            }
            case wire::kHashEnd: {
                auto r = control(code, *payload);
                held = false;
                reply(c, r);
                return true;
            }
            default:
                // INIT, SHUTDOWN, STOP, STORE_VOLATILE, buffer size and data
                // channel belong to QEMU (the guest's power cycle).
                reply(c, result_only(wire::kResultBadOrdinal));
                return true;
        }
    }

    bool serve_host_data(Client& c) {
        Bytes cmd = read_tpm_message(c.fd.get(), kClientTimeoutMs, "host TPM command");
        Bytes r = valid_tag(cmd) ? tpm_command(cmd, host_locality)
                                 : tpm_error_response(0x01E /* TPM_RC_BAD_TAG */);
        {
            std::lock_guard lock(stats_mutex);
            ++stats.host_commands;
        }
        reply(c, r);
        return true;
    }

    // QEMU sends what the guest wrote to the TIS FIFO, in one write, and
    // frames nothing itself: a guest can send any bytes. Only a command
    // with a TPM tag and a consistent size reaches swtpm; anything else is
    // answered with an error and dropped (what is already queued of it).
    void serve_guest_data() {
        Bytes cmd(kTpmHeader);
        try {
            read_exact(guest_data.get(), cmd.data(), kTpmHeader, kClientTimeoutMs,
                       "guest TPM command");
        } catch (const PeerGone& e) {
            log(std::string("guest data channel: ") + e.what() + "; closing it");
            guest_data.reset();
            return;
        }
        const std::uint32_t size = be32(cmd.data() + 2);
        std::uint32_t refusal = 0;
        if (!valid_tag(cmd))
            refusal = 0x01E;  // TPM_RC_BAD_TAG
        else if (size < kTpmHeader || size > kMaxTpmMessage)
            refusal = 0x142;  // TPM_RC_COMMAND_SIZE
        Bytes r;
        if (refusal) {
            std::uint8_t sink[kMaxTpmMessage];
            while (read_available(guest_data.get(), sink, sizeof sink) > 0) {
            }
            r = tpm_error_response(refusal);
            log("refused a guest TPM command (tag " + std::to_string(cmd[0] << 8 | cmd[1]) +
                ", size " + std::to_string(size) + ")");
            std::lock_guard lock(stats_mutex);
            ++stats.guest_rejected;
        } else {
            cmd.resize(size);
            try {
                read_exact(guest_data.get(), cmd.data() + kTpmHeader, size - kTpmHeader,
                           kClientTimeoutMs, "guest TPM command");
            } catch (const PeerGone& e) {
                log(std::string("guest data channel: ") + e.what() + "; closing it");
                guest_data.reset();
                return;
            }
            r = tpm_command(cmd, guest_locality);
            std::lock_guard lock(stats_mutex);
            ++stats.guest_commands;
        }
        if (o.hold_first_startup && !startup_seen && is_successful_startup(cmd, r)) {
            startup_seen = true;
            held_startup = std::move(r);
            log("holding the guest's TPM2_Startup response for the boot-time launch");
            if (o.startup_held) o.startup_held();
            return;
        }
        send_to_guest(r);
    }

    void send_to_guest(const Bytes& r) {
        // One send: QEMU's start-up probe accepts the answer only in one read.
        try {
            write_all(guest_data.get(), r.data(), r.size(), "guest data");
        } catch (const PeerGone&) {
            guest_data.reset();
        }
    }

    static bool is_successful_startup(const Bytes& cmd, const Bytes& r) {
        constexpr std::uint32_t kStartup = 0x144;
        return cmd.size() >= kTpmHeader && be32(cmd.data() + 6) == kStartup &&
               r.size() >= kTpmHeader && be32(r.data() + 6) == 0;
    }

    static bool valid_tag(const Bytes& cmd) {
        const std::uint16_t tag = static_cast<std::uint16_t>(cmd[0] << 8 | cmd[1]);
        return tag == 0x8001 || tag == 0x8002;
    }

    static void reply(Client& c, const Bytes& r) {
        write_all(c.fd.get(), r.data(), r.size(), "reply");
    }

    void accept_from(const Fd& listener, ClientKind kind) {
        Fd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!fd) return;
        if (kind == ClientKind::qemu_control) {
            for (const auto& c : clients)
                if (c.kind == ClientKind::qemu_control) {
                    log("a second QEMU control connection was refused");
                    return;
                }
        }
        clients.push_back({std::move(fd), kind});
    }

    void loop() {
        while (!shutting_down) {
            if (held && std::chrono::steady_clock::now() > hold_deadline) {
                log("the host's DRTM sequence was not ended in time; releasing the guest");
                held = false;
            }
            std::vector<pollfd> fds;
            fds.push_back({wake_read.get(), POLLIN, 0});
            fds.push_back({qemu_listener.get(), POLLIN, 0});
            fds.push_back({host_data_listener.get(), POLLIN, 0});
            fds.push_back({host_ctrl_listener.get(), POLLIN, 0});
            const bool guest_ready = guest_data && !held && !held_startup;
            fds.push_back({guest_ready ? guest_data.get() : -1, POLLIN, 0});
            for (const auto& c : clients) fds.push_back({c.fd.get(), POLLIN, 0});
            int r = ::poll(fds.data(), fds.size(), held ? 50 : 1000);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) throw sys_error("poll");
            if (fds[0].revents) {  // stop() or release_startup()
                char sink[64];
                while (::read(wake_read.get(), sink, sizeof sink) > 0) {  // non-blocking
                }
                if (stop_requested) return;
                if (release_requested.exchange(false) && held_startup) {
                    log("releasing the guest's TPM2_Startup response");
                    Bytes r = std::move(*held_startup);
                    held_startup.reset();
                    if (guest_data) send_to_guest(r);
                }
            }
            if (fds[1].revents & POLLIN) accept_from(qemu_listener, ClientKind::qemu_control);
            if (fds[2].revents & POLLIN) accept_from(host_data_listener, ClientKind::host_data);
            if (fds[3].revents & POLLIN) accept_from(host_ctrl_listener, ClientKind::host_control);
            // Host first: a host request that arrived with a guest command
            // (HASH_START) must hold the guest before the guest is served.
            std::vector<std::size_t> done;
            const std::size_t first_client = 5;
            const std::size_t polled_clients = fds.size() - first_client;
            for (std::size_t i = 0; i < polled_clients; ++i) {
                if (!fds[first_client + i].revents) continue;
                Client& c = clients[i];
                bool keep = false;
                try {
                    if (fds[first_client + i].revents & POLLIN) {
                        if (c.kind == ClientKind::qemu_control)
                            keep = serve_qemu_control(c);
                        else if (c.kind == ClientKind::host_control)
                            keep = serve_host_control(c);
                        else
                            keep = serve_host_data(c);
                    }
                } catch (const PeerGone&) {
                    keep = false;
                }
                if (!keep) done.push_back(i);
            }
            for (auto it = done.rbegin(); it != done.rend(); ++it)
                clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(*it));
            if (guest_ready && (fds[4].revents & (POLLIN | POLLHUP | POLLERR)) && !held &&
                !held_startup)
                serve_guest_data();
        }
    }
};

TpmMultiplexer::TpmMultiplexer(TpmMultiplexerOptions options) : impl_(new Impl) {
    std::unique_ptr<Impl> guard(impl_);
    impl_->o = std::move(options);
    impl_->connect_swtpm();
    impl_->qemu_listener = listen_unix(impl_->o.qemu_socket);
    impl_->host_data_listener = listen_unix(impl_->o.host_socket);
    impl_->host_ctrl_listener = listen_unix(impl_->o.host_socket.string() + ".ctrl");
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) throw sys_error("pipe");
    impl_->wake_read.reset(pipe_fds[0]);
    impl_->wake_write.reset(pipe_fds[1]);
    guard.release();
}

TpmMultiplexer::~TpmMultiplexer() {
    std::error_code ec;
    std::filesystem::remove(impl_->o.qemu_socket, ec);
    std::filesystem::remove(impl_->o.host_socket, ec);
    std::filesystem::remove(impl_->o.host_socket.string() + ".ctrl", ec);
    delete impl_;
}

void TpmMultiplexer::run() {
    // Once it stops serving, its clients must not wait for replies, nor
    // new ones connect to sockets nobody serves.
    struct CloseClients {
        Impl* impl;
        ~CloseClients() {
            impl->clients.clear();
            impl->qemu_listener.reset();
            impl->host_data_listener.reset();
            impl->host_ctrl_listener.reset();
        }
    } close_clients{impl_};
    impl_->loop();
}

void TpmMultiplexer::stop() {
    impl_->stop_requested = true;
    const char b = 1;
    (void)!::write(impl_->wake_write.get(), &b, 1);
}

void TpmMultiplexer::release_startup() {
    impl_->release_requested = true;
    const char b = 2;
    (void)!::write(impl_->wake_write.get(), &b, 1);
}

std::string TpmMultiplexer::host_tcti() const {
    return "swtpm:path=" + impl_->o.host_socket.string();
}

TpmMultiplexerStats TpmMultiplexer::stats() const {
    std::lock_guard lock(impl_->stats_mutex);
    return impl_->stats;
}

}  // namespace drtm::inspect
