// A debugger's session with a guest's QEMU gdbstub, for e2e tests that
// change what only a CPU holds (control registers, the IDTR) the way an
// attacker in ring 0 would. Connecting stops the guest; detach() resumes
// it. Register numbers are QEMU 7.2's for x86-64 (target/i386/gdbstub.c):
// 16 general registers, rip 16, eflags 17, the 6 selectors 18-23, the fs,
// gs and kernel-gs bases 24-26, cr0 27. QEMU accepts single-register
// writes ('P') only from a debugger that read its target description, so
// the session reads it first.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "inspect/gdb_remote.hpp"
#include "inspect/unix_stream.hpp"

namespace testsupport {

class GdbSession {
  public:
    static constexpr int kRip = 16, kCs = 18, kCr0 = 27;

    explicit GdbSession(const std::filesystem::path& socket)
        : fd_(drtm::inspect::connect_unix_stream(socket, 2000)) {
        const auto description = command("qXfer:features:read:target.xml:0,ffff");
        if (description.empty() || (description[0] != 'l' && description[0] != 'm'))
            throw std::runtime_error("gdbstub: no target description ('" + description + "')");
    }
    // A session ended by a failed assertion still resumes the guest.
    ~GdbSession() {
        if (fd_ < 0) return;
        try {
            drtm::inspect::send_all(fd_, drtm::inspect::gdb_packet("D"));
        } catch (...) {
        }
        ::close(fd_);
    }
    GdbSession(const GdbSession&) = delete;
    GdbSession& operator=(const GdbSession&) = delete;

    // The payload of the reply to `payload` (stop notifications skipped).
    // The payload of the reply (stop notifications are dropped by
    // GdbReplyStream). Each is acknowledged, but for the last
    // (`acknowledge` false): QEMU takes a byte arriving while the guest
    // runs as a stop request.
    std::string command(const std::string& payload, bool acknowledge = true) {
        drtm::inspect::send_all(fd_, drtm::inspect::gdb_packet(payload));
        return next_reply(acknowledge);
    }
    // vCPU `cpu_index`'s register `n` (8 bytes, little-endian hex).
    std::uint64_t register_value(int n, int cpu_index = 0) {
        select(cpu_index);
        const auto all = command("g");
        // Hex digits: 8 bytes each up to rip, 4 for eflags and the
        // selectors, 8 from the bases on (gdb_remote.hpp).
        const std::size_t offset =
            n <= kRip  ? 16 * n
            : n < kCs  ? 16 * kRip + 16
            : n < 24   ? 16 * kRip + 24 + 8 * (n - kCs)
            : n < kCr0 ? 16 * kRip + 24 + 8 * 6 + 16 * (n - 24)
                       : 2 * drtm::inspect::kGdbControlRegistersOffset + 16 * (n - kCr0);
        const std::size_t digits = (n == 17 || (n >= kCs && n < 24)) ? 8 : 16;
        return drtm::inspect::gdb_register_value(all.substr(offset, digits));
    }
    void write_register(int n, std::uint64_t value, int cpu_index = 0) {
        select(cpu_index);
        expect_ok(command("P" + hex(n) + "=" + little_endian(value, 8)), "writing a register");
    }
    // Through QEMU's debug access: at a virtual address of the selected
    // vCPU, read-only pages included, and translated code invalidated.
    void write_memory(std::uint64_t address, const std::string& bytes) {
        std::string payload = "M" + hex(address) + "," + hex(bytes.size()) + ":";
        for (unsigned char b : bytes) payload += byte_hex(b);
        expect_ok(command(payload), "writing memory");
    }
    std::string read_memory(std::uint64_t address, std::size_t size) {
        const auto reply = command("m" + hex(address) + "," + hex(size));
        if (reply.size() != 2 * size) throw std::runtime_error("gdbstub: reading memory: " + reply);
        std::string out;
        for (std::size_t i = 0; i < size; ++i)
            out += static_cast<char>(std::stoi(reply.substr(2 * i, 2), nullptr, 16));
        return out;
    }
    // Resumes the guest and ends the session.
    void detach() {
        expect_ok(command("D", /*acknowledge=*/false), "detaching");
        ::close(fd_);
        fd_ = -1;
    }

    static std::string little_endian(std::uint64_t v, int bytes) {
        std::string out;
        for (int i = 0; i < bytes; ++i) out += byte_hex((v >> (8 * i)) & 0xff);
        return out;
    }

  private:
    static std::string hex(std::uint64_t v) {
        char buf[20];
        std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
        return buf;
    }
    static std::string byte_hex(unsigned v) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", v & 0xff);
        return buf;
    }
    static void expect_ok(const std::string& reply, const char* what) {
        if (reply != "OK") throw std::runtime_error(std::string("gdbstub: ") + what + ": " + reply);
    }
    void select(int cpu_index) {
        expect_ok(command("Hg" + hex(cpu_index + 1)), "selecting a vCPU");
    }
    std::string next_reply(bool acknowledge) {
        for (;;) {
            if (auto reply = replies_.next()) {
                if (acknowledge) drtm::inspect::send_all(fd_, "+");
                return *reply;
            }
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 5000) <= 0) throw std::runtime_error("gdbstub: no reply");
            char buf[8192];
            const auto n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) throw std::runtime_error("gdbstub: connection closed");
            replies_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        }
    }
    int fd_;
    drtm::inspect::GdbReplyStream replies_;
};

}  // namespace testsupport
