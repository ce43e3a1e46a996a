// The gdbstub client: packets framed with their checksums, replies taken
// out of QEMU's byte stream (acknowledgements, stop notifications, run
// lengths, damaged packets), registers decoded in x86 byte order, and the
// pipelined CR0/CR3 reads against a scripted stub on a Unix socket. The
// expected packets were framed by hand (checksum = byte sum mod 256, as
// GDB's remote protocol documentation defines it).
#include "inspect/gdb_remote.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "support/unix_listener.hpp"

using drtm::inspect::gdb_packet;
using drtm::inspect::gdb_register_value;
using drtm::inspect::GdbRemote;
using drtm::inspect::GdbReplyStream;

namespace {

// Reads until `packets` requests have arrived ('#' and two digits each),
// then sends `reply` (if any) and keeps the connection open until the
// client closes it.
class ScriptedStub {
  public:
    ScriptedStub(int packets, std::string reply)
        : listener_("gdb-test"), packets_(packets), reply_(std::move(reply)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedStub() {
        if (thread_.joinable()) thread_.join();
    }
    const std::filesystem::path& path() const { return listener_.path(); }
    // What the client sent, once it has closed the connection.
    const std::string& received() {
        if (thread_.joinable()) thread_.join();
        return received_;
    }

  private:
    void serve() {
        const int c = listener_.accept();
        if (c < 0) return;
        char chunk[512];
        bool answered = false;
        for (;;) {
            const ssize_t k = ::read(c, chunk, sizeof chunk);
            if (k <= 0) break;
            received_.append(chunk, static_cast<std::size_t>(k));
            int complete = 0;
            for (auto h = received_.find('#'); h != std::string::npos && h + 2 < received_.size();
                 h = received_.find('#', h + 1))
                ++complete;
            if (!answered && complete >= packets_ && !reply_.empty()) {
                ::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
                answered = true;
            }
        }
        ::close(c);
    }

    testsupport::UnixListener listener_;
    int packets_;
    std::string reply_;
    std::string received_;
    std::thread thread_;
};

}  // namespace

TEST(GdbRemote, APacketCarriesItsChecksum) {
    EXPECT_EQ(gdb_packet("g"), "$g#67");
    EXPECT_EQ(gdb_packet("Hg1"), "$Hg1#e0");
    EXPECT_EQ(gdb_packet("p3e"), "$p3e#08");
    EXPECT_EQ(gdb_packet(""), "$#00");
}

TEST(GdbRemote, RepliesComeOutOfTheStreamWhole) {
    GdbReplyStream s;
    s.feed("+$O");
    EXPECT_EQ(s.next(), std::nullopt);  // incomplete
    s.feed("K#9");
    EXPECT_EQ(s.next(), std::nullopt);  // the checksum's second digit is missing
    s.feed("a+$00a0c00200000000#66");
    EXPECT_EQ(s.next(), "OK");
    EXPECT_EQ(s.next(), "00a0c00200000000");
    EXPECT_EQ(s.next(), std::nullopt);
}

// QEMU tells a connected debugger that the guest stopped; that is no answer.
TEST(GdbRemote, StopNotificationsAreNotAnswers) {
    GdbReplyStream s;
    s.feed("$T02thread:01;#04+$OK#9a");
    EXPECT_EQ(s.next(), "OK");
}

// "0* " is '0' and 3 more (' ' is 32, and 32 - 29 = 3).
TEST(GdbRemote, RunLengthsAreExpanded) {
    GdbReplyStream s;
    s.feed("$0* #7a");
    EXPECT_EQ(s.next(), "0000");
}

TEST(GdbRemote, ADamagedReplyIsRefused) {
    GdbReplyStream bad_sum;
    bad_sum.feed("$OK#9b");
    EXPECT_THROW(bad_sum.next(), std::runtime_error);
    GdbReplyStream stray;
    stray.feed("x$OK#9a");
    EXPECT_THROW(stray.next(), std::runtime_error);
}

// Target byte order: the least significant byte comes first.
TEST(GdbRemote, RegisterValuesAreLittleEndian) {
    EXPECT_EQ(gdb_register_value("00a0c00200000000"), 0x2c0a000u);
    EXPECT_EQ(gdb_register_value("3300058000000000"), 0x80050033u);
    EXPECT_EQ(gdb_register_value("10000060"), 0x60000010u);  // 4 bytes, outside 64-bit mode
    EXPECT_THROW(gdb_register_value("E22"), std::runtime_error);
    EXPECT_THROW(gdb_register_value("00a0c002000000"), std::runtime_error);
    EXPECT_THROW(gdb_register_value("00a0c0020000000g"), std::runtime_error);
}

namespace {

// QEMU's x86-64 'g' reply, in the order of its i386-64bit.xml: a distinct
// value in every field, so a read at the wrong place shows.
std::string registers(std::uint64_t cr0, std::uint64_t cr3) {
    std::string hex;
    auto put = [&](std::uint64_t v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            char byte[3];
            std::snprintf(byte, sizeof byte, "%02x",
                          static_cast<unsigned>(i < 8 ? (v >> (8 * i)) & 0xff : 0x77));
            hex += byte;
        }
    };
    for (int r = 0; r < 16; ++r) put(0x1111111111111100ull + r, 8);  // rax..r15
    put(0xffffffff81000000ull, 8);                                   // rip
    put(0x246, 4);                                                   // eflags
    for (int s = 0; s < 6; ++s) put(0x10 + s, 4);                    // cs ss ds es fs gs
    for (int b = 0; b < 3; ++b) put(0x7f0000000000ull + b, 8);       // fs/gs/kernel gs base
    put(cr0, 8);
    put(0x00007f1e2c0b1000ull, 8);  // cr2
    put(cr3, 8);
    put(0x6f0, 8);  // cr4
    put(0, 8);      // cr8
    put(0xd01, 8);  // efer
    for (int st = 0; st < 8; ++st)
        put(0x8000000000000000ull + st, 10);  // st0..st7 (mantissa; exponent 0x7777)
    for (int w = 0; w < 8; ++w) put(0x37f + w, 4);
    for (int x = 0; x < 16; ++x) put(0x5555555555555500ull + x, 16);
    put(0x1f80, 4);  // mxcsr
    return hex;
}

}  // namespace

TEST(GdbRemote, PagingComesFromTheControlRegisters) {
    const auto long_mode = drtm::inspect::paging_from_registers(registers(0x80050033, 0x2c0a000));
    EXPECT_TRUE(long_mode.paging);
    EXPECT_EQ(long_mode.cr3, 0x2c0a000u);
    EXPECT_EQ(long_mode.cr0, 0x80050033u);
    EXPECT_EQ(registers(0, 0).size(), 2 * 608u);
    // An application processor waiting for its start-up IPI: paging off.
    const auto waiting = drtm::inspect::paging_from_registers(registers(0x60000010, 0));
    EXPECT_FALSE(waiting.paging);
    EXPECT_EQ(waiting.cr3, 0u);
    EXPECT_THROW(drtm::inspect::paging_from_registers(registers(0, 0).substr(2)),
                 std::runtime_error);
    EXPECT_THROW(drtm::inspect::paging_from_registers("E22"), std::runtime_error);
    EXPECT_THROW(drtm::inspect::paging_from_registers(""), std::runtime_error);
}

// Every request goes out in one write; the answers are matched in order.
TEST(GdbRemote, ReadsEveryVcpusPagingRegisters) {
    ScriptedStub stub(4, "+$OK#9a+" + gdb_packet(registers(0x80050033, 0x2c0a000)) + "+$OK#9a+" +
                             gdb_packet(registers(0x60000010, 0)));
    {
        GdbRemote gdb(stub.path());
        const int cpus[] = {0, 1};
        gdb.request_paging(cpus);
        const auto v = gdb.receive_paging();
        ASSERT_EQ(v.size(), 2u);
        EXPECT_TRUE(v[0].paging);
        EXPECT_EQ(v[0].cr3, 0x2c0a000u);
        EXPECT_FALSE(v[1].paging);  // an application processor never started
        EXPECT_EQ(v[1].cr3, 0u);
    }
    EXPECT_EQ(stub.received(), "$Hg1#e0$g#67$Hg2#e1$g#67");
}

TEST(GdbRemote, AnUnknownVcpuIsNamed) {
    ScriptedStub stub(2, "++$E22#a9$E22#a9");
    GdbRemote gdb(stub.path());
    const int cpus[] = {2};
    gdb.request_paging(cpus);
    try {
        gdb.receive_paging();
        FAIL() << "an unknown vCPU must throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("no vCPU 2"), std::string::npos) << e.what();
    }
}

TEST(GdbRemote, SilenceTimesOut) {
    ScriptedStub stub(2, "");
    GdbRemote gdb(stub.path(), 200);
    const int cpus[] = {0};
    gdb.request_paging(cpus);
    EXPECT_THROW(gdb.receive_paging(), std::runtime_error);
}

TEST(GdbRemote, AMissingSocketIsNamed) {
    try {
        GdbRemote gdb("/nonexistent/drtm-gdb.sock");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/drtm-gdb.sock"), std::string::npos);
    }
}

// A monitor command goes out as qRcmd with the command in hex; its output
// comes back as 'O' packets (hex) before the OK.
TEST(GdbRemote, AMonitorCommandsOutputIsGathered) {
    // "CPU#0\r\n" and "IDT=1\r\n" in hex, in two packets.
    ScriptedStub stub(1, "+" +
                             gdb_packet("O435055233"
                                        "00d0a") +
                             gdb_packet("O4944543d310d0a") + gdb_packet("OK"));
    {
        GdbRemote gdb(stub.path());
        gdb.request_monitor("info registers -a");
        EXPECT_EQ(gdb.receive_monitor(), "CPU#0\r\nIDT=1\r\n");
    }
    EXPECT_EQ(stub.received(), gdb_packet("qRcmd,696e666f20726567697374657273202d61"));
}

TEST(GdbRemote, AMonitorCommandAnsweredOtherwiseIsRefused) {
    ScriptedStub stub(1, "+" + gdb_packet("E01"));
    GdbRemote gdb(stub.path());
    gdb.request_monitor("info registers -a");
    EXPECT_THROW(gdb.receive_monitor(), std::runtime_error);
}
