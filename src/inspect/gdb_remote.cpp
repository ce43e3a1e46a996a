#include "inspect/gdb_remote.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "binary/bytes.hpp"
#include "inspect/unix_stream.hpp"

namespace drtm::inspect {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char hex_char(unsigned v) {
    return "0123456789abcdef"[v & 15];
}

// The cpu-index of a vCPU as the gdbstub names it: a thread, numbered
// from 1.
std::string thread_id(int cpu_index) {
    char id[16];
    std::snprintf(id, sizeof id, "%x", cpu_index + 1);
    return id;
}

// The stub's "Enn" error reply, thrown as such.
void throw_if_error_reply(std::string_view reply) {
    if (reply.size() == 3 && reply[0] == 'E')
        throw std::runtime_error("gdbstub: error " + std::string(reply.substr(1)) +
                                 " reading registers");
}

}  // namespace

std::string gdb_packet(std::string_view payload) {
    unsigned sum = 0;
    for (unsigned char c : payload) sum += c;
    std::string out = "$";
    out.append(payload);
    out += '#';
    out += hex_char((sum >> 4) & 15);
    out += hex_char(sum & 15);
    return out;
}

std::optional<std::string> GdbReplyStream::next() {
    for (;;) {
        const auto start = buffer_.find_first_not_of('+');
        if (start == std::string::npos) {
            buffer_.clear();
            return std::nullopt;
        }
        if (buffer_[start] != '$') {
            const auto byte = static_cast<unsigned char>(buffer_[start]);
            throw std::runtime_error("gdbstub: unexpected byte 0x" +
                                     std::string{hex_char(byte >> 4), hex_char(byte)} +
                                     " outside a packet");
        }
        const auto hash = buffer_.find('#', start);
        if (hash == std::string::npos || buffer_.size() < hash + 3) return std::nullopt;
        const std::string_view body(buffer_.data() + start + 1, hash - start - 1);
        unsigned sum = 0;
        for (unsigned char c : body) sum += c;
        const int hi = hex_digit(buffer_[hash + 1]), lo = hex_digit(buffer_[hash + 2]);
        if (hi < 0 || lo < 0 || static_cast<unsigned>(hi * 16 + lo) != (sum & 0xff))
            throw std::runtime_error("gdbstub: a reply's checksum does not match its payload");
        // Run-length encoding: "c*n" stands for c repeated n - 29 more times.
        std::string payload;
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (body[i] == '*' && !payload.empty() && i + 1 < body.size()) {
                const int more = static_cast<unsigned char>(body[++i]) - 29;
                if (more < 0) throw std::runtime_error("gdbstub: a malformed run length");
                payload.append(static_cast<std::size_t>(more), payload.back());
            } else {
                payload += body[i];
            }
        }
        buffer_.erase(0, hash + 3);
        if (!payload.empty() && std::string_view("TSWX").find(payload[0]) != std::string::npos)
            continue;  // a stop notification, not an answer
        return payload;
    }
}

std::uint64_t gdb_register_value(std::string_view hex) {
    throw_if_error_reply(hex);
    if (hex.size() != 8 && hex.size() != 16)
        throw std::runtime_error("gdbstub: a register value of " + std::to_string(hex.size()) +
                                 " hex digits, expected 8 or 16");
    std::uint64_t value = 0;
    for (std::size_t byte = 0; byte < hex.size() / 2; ++byte) {
        const int hi = hex_digit(hex[2 * byte]), lo = hex_digit(hex[2 * byte + 1]);
        if (hi < 0 || lo < 0) throw std::runtime_error("gdbstub: a register value is not hex");
        value |= static_cast<std::uint64_t>(hi * 16 + lo) << (8 * byte);
    }
    return value;
}

VcpuPaging paging_from_registers(std::string_view g_reply) {
    throw_if_error_reply(g_reply);
    if (g_reply.size() != 2 * kGdbCoreRegistersSize)
        throw std::runtime_error("gdbstub: " + std::to_string(g_reply.size()) +
                                 " hex digits of registers, not QEMU's x86-64 layout");
    auto control = [&](std::size_t index) {
        return gdb_register_value(g_reply.substr(2 * (kGdbControlRegistersOffset + index * 8), 16));
    };
    const auto cr0 = control(0), cr3 = control(2);
    return {.cr3 = cr3, .paging = (cr0 & 0x80000000u) != 0, .cr0 = cr0};
}

GdbRemote::GdbRemote(const std::filesystem::path& socket, int timeout_ms)
    : timeout_ms_(timeout_ms) {
    try {
        fd_ = connect_unix_stream(socket, 0);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("QEMU's gdbstub: ") + e.what());
    }
}

GdbRemote::~GdbRemote() {
    if (fd_ >= 0) ::close(fd_);
}

void GdbRemote::request_paging(std::span<const int> cpu_indexes) {
    std::string requests;
    for (int cpu : cpu_indexes) {
        requests += gdb_packet("Hg" + thread_id(cpu));
        requests += gdb_packet("g");
    }
    send_all(fd_, requests);
    requested_.assign(cpu_indexes.begin(), cpu_indexes.end());
}

std::vector<VcpuPaging> GdbRemote::receive_paging() {
    std::vector<VcpuPaging> out;
    for (int cpu : requested_) {
        if (const auto selected = read_reply(); selected != "OK")
            throw std::runtime_error("gdbstub: QEMU has no vCPU " + std::to_string(cpu) + " ('" +
                                     selected + "')");
        out.push_back(paging_from_registers(read_reply()));
    }
    requested_.clear();
    return out;
}

void GdbRemote::request_monitor(std::string_view command) {
    send_all(fd_, gdb_packet("qRcmd," + binary::to_hex(binary::as_bytes(command))));
}

std::string GdbRemote::receive_monitor() {
    std::string output;
    for (;;) {
        const auto reply = read_reply();
        if (reply == "OK") return output;
        // "O" and the output in hex; hex never holds a K, so "OK" is not one.
        if (reply.empty() || reply[0] != 'O')
            throw std::runtime_error("gdbstub: the monitor command was answered with '" +
                                     reply.substr(0, 40) + "'");
        try {
            const auto bytes = binary::from_hex(std::string_view(reply).substr(1));
            output.append(bytes.begin(), bytes.end());
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(std::string("gdbstub: monitor output: ") + e.what());
        }
    }
}

std::string GdbRemote::read_reply() {
    for (;;) {
        if (auto reply = replies_.next()) return *reply;
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, timeout_ms_);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0)
            throw std::runtime_error("gdbstub: QEMU did not answer within " +
                                     std::to_string(timeout_ms_) + " ms");
        char chunk[4096];
        const ssize_t k = ::recv(fd_, chunk, sizeof chunk, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) throw std::runtime_error("gdbstub: QEMU closed the connection");
        replies_.feed(std::string_view(chunk, static_cast<std::size_t>(k)));
    }
}

}  // namespace drtm::inspect
