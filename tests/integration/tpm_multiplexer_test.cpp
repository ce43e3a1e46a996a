// The VM's TPM multiplexer against a real swtpm (started as QEMU needs it:
// a control socket only, no --server) and a fake QEMU that replays QEMU
// 7.2's tpm-emulator start-up byte for byte (SET_DATAFD with SCM_RIGHTS, the
// ReadClock probe answered in one read, capabilities, STOP/SET_BUFFERSIZE,
// INIT, GET_TPMESTABLISHED). The host uses the multiplexer the way every
// drtm command does: tpm2-tss's swtpm TCTI and drtm's control client.
// Golden PCR values come from OpenSSL (support/openssl_ref.hpp).
#include "inspect/tpm_multiplexer.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include "support/openssl_ref.hpp"
#include "tpm/swtpm_control.hpp"
#include "tpm/tpm.hpp"

using namespace drtm;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

void put32(Bytes& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
std::uint32_t get32(const Bytes& b, std::size_t off) {
    return std::uint32_t(b.at(off)) << 24 | b.at(off + 1) << 16 | b.at(off + 2) << 8 |
           b.at(off + 3);
}

bool readable_within(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
}

Bytes read_n(int fd, std::size_t n) {
    Bytes b(n);
    std::size_t got = 0;
    while (got < n) {
        if (!readable_within(fd, 5000)) throw std::runtime_error("timeout");
        ssize_t k = ::recv(fd, b.data() + got, n - got, 0);
        if (k <= 0) throw std::runtime_error("closed");
        got += static_cast<std::size_t>(k);
    }
    return b;
}

// TPM2_PCR_Extend(pcr) with one SHA-256 digest under a password session.
Bytes pcr_extend_command(std::uint32_t pcr, const Bytes& digest) {
    Bytes c = {0x80, 0x02, 0, 0, 0, 0};
    put32(c, 0x182);
    put32(c, pcr);
    put32(c, 9);                         // authorization area size
    put32(c, 0x40000009);                // TPM_RS_PW
    c.insert(c.end(), {0, 0, 0, 0, 0});  // empty nonce, attributes 0, empty hmac
    put32(c, 1);                         // TPML_DIGEST_VALUES count
    c.insert(c.end(), {0x00, 0x0B});     // SHA-256
    c.insert(c.end(), digest.begin(), digest.end());
    const auto size = static_cast<std::uint32_t>(c.size());
    for (int i = 0; i < 4; ++i) c[2 + i] = static_cast<std::uint8_t>(size >> (24 - 8 * i));
    return c;
}

// TPM2_PCR_Read of one SHA-256 PCR.
Bytes pcr_read_command(std::uint32_t pcr) {
    Bytes c = {0x80, 0x01, 0, 0, 0, 20};
    put32(c, 0x17E);
    put32(c, 1);
    c.insert(c.end(), {0x00, 0x0B, 3, 0, 0, 0});
    c[c.size() - 3 + pcr / 8] = static_cast<std::uint8_t>(1u << (pcr % 8));
    return c;
}

const Bytes kReadClock = {0x80, 0x01, 0, 0, 0, 0x0A, 0, 0, 0x01, 0x81};
const Bytes kStartupClear = {0x80, 0x01, 0, 0, 0, 0x0C, 0, 0, 0x01, 0x44, 0, 0};

// QEMU's side of the control and data channels.
class FakeQemu {
  public:
    explicit FakeQemu(const fs::path& socket) {
        ctrl_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, socket.c_str());
        if (::connect(ctrl_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("connect to the multiplexer");
    }
    ~FakeQemu() {
        ::close(ctrl_);
        if (data_ >= 0) ::close(data_);
    }
    // tpm_emulator_prepare_data_fd: the fd rides on the 4-byte code.
    std::uint32_t set_data_fd() {
        int pair[2];
        ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
        data_ = pair[0];
        Bytes code;
        put32(code, 0x10);
        iovec iov{code.data(), code.size()};
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
        std::memcpy(CMSG_DATA(c), &pair[1], sizeof(int));
        ::sendmsg(ctrl_, &msg, 0);
        ::close(pair[1]);
        return get32(read_n(ctrl_, 4), 0);
    }
    // One control command in one write; QEMU 7.2 reads a fixed reply size.
    Bytes control(std::uint32_t code, const Bytes& payload, std::size_t reply_size) {
        Bytes req;
        put32(req, code);
        req.insert(req.end(), payload.begin(), payload.end());
        ::send(ctrl_, req.data(), req.size(), MSG_NOSIGNAL);
        return read_n(ctrl_, reply_size);
    }
    Bytes command(const Bytes& cmd) {
        send_only(cmd);
        return response();
    }
    void send_only(const Bytes& cmd) { ::send(data_, cmd.data(), cmd.size(), MSG_NOSIGNAL); }
    Bytes response() {
        auto header = read_n(data_, 10);
        auto rest = read_n(data_, get32(header, 2) - 10);
        header.insert(header.end(), rest.begin(), rest.end());
        return header;
    }
    int data_fd() const { return data_; }

  private:
    int ctrl_ = -1;
    int data_ = -1;
};

class TpmMultiplexerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-mux-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "state");
        const auto ctrl = dir_ / "swtpm.ctrl";
        swtpm_ = ::fork();
        if (swtpm_ == 0) {
            const std::string state = "dir=" + (dir_ / "state").string();
            const std::string ctrl_arg = "type=unixio,path=" + ctrl.string();
            ::execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", state.c_str(), "--ctrl",
                     ctrl_arg.c_str(), "--flags", swtpm_flags(), nullptr);
            ::_exit(127);
        }
        for (int i = 0; i < 200 && !fs::exists(ctrl); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_TRUE(fs::exists(ctrl)) << "swtpm did not start";
        inspect::TpmMultiplexerOptions o;
        o.swtpm_control = ctrl;
        o.qemu_socket = dir_ / "qemu.sock";
        o.host_socket = dir_ / "tpm.sock";
        o.hold_timeout_ms = 3000;
        configure(o);
        mux_ = std::make_unique<inspect::TpmMultiplexer>(o);
        loop_ = std::thread([this] {
            try {
                mux_->run();
            } catch (const std::exception& e) {
                loop_error_ = e.what();
            }
        });
    }
    void TearDown() override {
        if (mux_) mux_->stop();
        if (loop_.joinable()) loop_.join();
        mux_.reset();
        if (swtpm_ > 0) {
            ::kill(swtpm_, SIGTERM);
            ::waitpid(swtpm_, nullptr, 0);
        }
        fs::remove_all(dir_);
        EXPECT_EQ(loop_error_, "");
    }

    // swtpm started by itself (the guest's Startup then answers 0x100), or
    // left for the guest firmware to start.
    virtual const char* swtpm_flags() const { return "not-need-init,startup-clear"; }
    virtual void configure(inspect::TpmMultiplexerOptions&) {}

    // QEMU 7.2's start-up, in its order (reference/swtpm.md §7.1).
    void boot(FakeQemu& qemu) {
        ASSERT_EQ(qemu.set_data_fd(), 0u);
        // tpm_util_test_tpmdev: the answer must come within 1 s, in one read.
        qemu.send_only(kReadClock);
        ASSERT_TRUE(readable_within(qemu.data_fd(), 1000));
        std::uint8_t buf[4096];
        ssize_t n = ::recv(qemu.data_fd(), buf, sizeof buf, 0);
        ASSERT_GE(n, 10);
        EXPECT_EQ(get32(Bytes(buf, buf + 10), 2), static_cast<std::uint32_t>(n));
        EXPECT_EQ(get32(Bytes(buf, buf + 10), 6), 0u);

        auto caps = qemu.control(0x01, {}, 8);
        const std::uint32_t low = get32(caps, 4);
        EXPECT_TRUE(low & 0x1);         // INIT
        EXPECT_TRUE(low & (1u << 12));  // SET_DATAFD
        EXPECT_FALSE(low & (3u << 8));  // state blobs hidden: QEMU blocks migration
        EXPECT_EQ(get32(qemu.control(0x0E, {}, 4), 0), 0u);  // STOP
        auto size = qemu.control(0x11, {0, 0, 0, 0}, 16);    // SET_BUFFERSIZE(0)
        EXPECT_EQ(get32(size, 0), 0u);
        EXPECT_EQ(get32(qemu.control(0x0E, {}, 4), 0), 0u);
        EXPECT_EQ(get32(qemu.control(0x11, {0, 0, 0x10, 0}, 16), 4), 4096u);
        EXPECT_EQ(get32(qemu.control(0x02, {0, 0, 0, 0}, 4), 0), 0u);  // INIT(0)
        EXPECT_EQ(get32(qemu.control(0x04, {}, 8), 0), 0u);            // GET_TPMESTABLISHED
        // The firmware's TPM2_Startup (swtpm may have started itself already).
        auto rc = get32(qemu.command(kStartupClear), 6);
        EXPECT_TRUE(rc == 0 || rc == 0x100) << std::hex << rc;
        EXPECT_EQ(get32(qemu.control(0x05, {0, 0, 0, 0}, 4), 0), 0u);  // SET_LOCALITY(0)
    }
    Bytes guest_pcr(FakeQemu& qemu, std::uint32_t pcr) {
        auto r = qemu.command(pcr_read_command(pcr));
        EXPECT_EQ(get32(r, 6), 0u);
        return Bytes(r.begin() + 30, r.begin() + 62);
    }
    Bytes host_pcr(std::uint32_t pcr) {
        tpm::Tpm t(mux_->host_tcti());
        auto banks = t.read_pcrs({crypto::HashAlg::sha256}, {pcr});
        return banks.at(crypto::HashAlg::sha256).at(pcr);
    }
    tpm::SwtpmControl host_control() {
        return tpm::SwtpmControl(tpm::ControlEndpoint{(dir_ / "tpm.sock.ctrl").string(), "", 0});
    }

    fs::path dir_;
    pid_t swtpm_ = -1;
    std::unique_ptr<inspect::TpmMultiplexer> mux_;
    std::thread loop_;
    std::string loop_error_;
};

ref::Bytes launch_value(const std::string& data) {
    return ref::digest("SHA256",
                       ref::concat(ref::Bytes(32, 0),
                                   ref::digest("SHA256", ref::Bytes(data.begin(), data.end()))));
}

}  // namespace

TEST_F(TpmMultiplexerTest, TheGuestBootsAndTheHostLaunchesOnTheSameTpm) {
    FakeQemu qemu(dir_ / "qemu.sock");
    boot(qemu);
    EXPECT_EQ(guest_pcr(qemu, 17), Bytes(32, 0xFF));  // no launch yet
    EXPECT_EQ(host_pcr(17), Bytes(32, 0xFF));

    host_control().drtm_sequence(binary::as_bytes("inspector image"));
    const auto expected = launch_value("inspector image");
    EXPECT_EQ(host_pcr(17), Bytes(expected.begin(), expected.end()));
    EXPECT_EQ(guest_pcr(qemu, 17), Bytes(expected.begin(), expected.end()));
    EXPECT_EQ(guest_pcr(qemu, 18), Bytes(32, 0));  // reset by the launch
    auto s = mux_->stats();
    EXPECT_GT(s.guest_commands, 0u);
    EXPECT_GT(s.host_commands, 0u);
}

TEST_F(TpmMultiplexerTest, EachSideKeepsItsOwnLocality) {
    FakeQemu qemu(dir_ / "qemu.sock");
    boot(qemu);
    host_control().drtm_sequence(binary::as_bytes("x"));
    const Bytes d(32, 0x11);
    {
        tpm::Tpm host(mux_->host_tcti());
        host.set_locality(2);
        host.extend(17, {{crypto::HashAlg::sha256, d}});
    }
    // The guest is still at locality 0 (QEMU will not resend it): PCR 17 is
    // not extendable there, whatever the host did in between.
    auto r = qemu.command(pcr_extend_command(17, d));
    EXPECT_EQ(get32(r, 6) & 0xFFF, 0x907u) << std::hex << get32(r, 6);  // TPM_RC_LOCALITY
    // Locality 0 may extend PCR 16.
    EXPECT_EQ(get32(qemu.command(pcr_extend_command(16, d)), 6), 0u);
    {
        tpm::Tpm host(mux_->host_tcti());
        host.set_locality(2);
        host.extend(17, {{crypto::HashAlg::sha256, d}});
    }
    auto once =
        ref::digest("SHA256", ref::concat(launch_value("x"), ref::Bytes(d.begin(), d.end())));
    auto twice = ref::digest("SHA256", ref::concat(once, ref::Bytes(d.begin(), d.end())));
    EXPECT_EQ(guest_pcr(qemu, 17), Bytes(twice.begin(), twice.end()));
    EXPECT_GE(mux_->stats().locality_switches, 3u);
}

TEST_F(TpmMultiplexerTest, GuestCommandsWaitDuringTheHostsDrtmSequence) {
    FakeQemu qemu(dir_ / "qemu.sock");
    boot(qemu);
    auto host = host_control();
    host.hash_start();
    qemu.send_only(kReadClock);
    // Held: a TPM command inside the sequence would abort it.
    EXPECT_FALSE(readable_within(qemu.data_fd(), 300));
    host.hash_data(binary::as_bytes("measured while the guest waits"));
    host.hash_end();
    ASSERT_TRUE(readable_within(qemu.data_fd(), 2000));
    EXPECT_EQ(get32(qemu.response(), 6), 0u);
    const auto expected = launch_value("measured while the guest waits");
    EXPECT_EQ(host_pcr(17), Bytes(expected.begin(), expected.end()));
}

TEST_F(TpmMultiplexerTest, AnUnfinishedSequenceReleasesTheGuestAfterTheTimeout) {
    FakeQemu qemu(dir_ / "qemu.sock");
    boot(qemu);
    host_control().hash_start();  // and the host "crashes"
    qemu.send_only(kReadClock);
    EXPECT_FALSE(readable_within(qemu.data_fd(), 1000));
    EXPECT_TRUE(readable_within(qemu.data_fd(), 4000));  // hold_timeout_ms is 3 s
}

TEST_F(TpmMultiplexerTest, TheGuestCannotUseSwtpmsInBandLocalityHeader) {
    FakeQemu qemu(dir_ / "qemu.sock");
    boot(qemu);
    // TPM2_SEND_COMMAND (8) + locality 3 + length + a PCR_Extend(17), as a
    // guest can write it to the TIS FIFO: swtpm would set its global
    // locality to 3 and run the extend.
    auto inner = pcr_extend_command(17, Bytes(32, 0x22));
    Bytes msg;
    put32(msg, 8);
    msg.push_back(3);
    put32(msg, static_cast<std::uint32_t>(inner.size()));
    msg.insert(msg.end(), inner.begin(), inner.end());
    auto r = qemu.command(msg);
    EXPECT_EQ(get32(r, 6), 0x1Eu);  // TPM_RC_BAD_TAG
    EXPECT_EQ(mux_->stats().guest_rejected, 1u);
    EXPECT_EQ(guest_pcr(qemu, 17), Bytes(32, 0xFF));
}

TEST_F(TpmMultiplexerTest, TheHostMayNotPowerCycleTheGuestsTpm) {
    FakeQemu qemu(dir_ / "qemu.sock");
    boot(qemu);
    try {
        host_control().init();
        FAIL() << "INIT from the host was relayed";
    } catch (const tpm::ControlError& e) {
        EXPECT_EQ(e.result(), 0x0Au);
    }
    EXPECT_EQ(guest_pcr(qemu, 17), Bytes(32, 0xFF));  // still running, same state
}

TEST_F(TpmMultiplexerTest, QemusShutdownEndsSwtpmAndTheMultiplexer) {
    FakeQemu qemu(dir_ / "qemu.sock");
    boot(qemu);
    EXPECT_EQ(get32(qemu.control(0x03, {}, 4), 0), 0u);
    loop_.join();  // run() returned by itself
    int status = 0;
    for (int i = 0; i < 200 && ::waitpid(swtpm_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(WIFEXITED(status)) << "swtpm still running after SHUTDOWN";
    swtpm_ = -1;
}

namespace {

// A boot-time launch: the firmware starts the TPM itself, and its first
// successful TPM2_Startup is answered only when the host releases it.
class HeldStartupTest : public TpmMultiplexerTest {
  protected:
    const char* swtpm_flags() const override { return "not-need-init"; }
    void configure(inspect::TpmMultiplexerOptions& o) override {
        o.hold_first_startup = true;
        o.startup_held = [this] { held_ = true; };
    }
    std::atomic<bool> held_{false};
};

}  // namespace

TEST_F(HeldStartupTest, TheHostLaunchesBeforeTheFirmwareHearsItsStartup) {
    FakeQemu qemu(dir_ / "qemu.sock");
    ASSERT_EQ(qemu.set_data_fd(), 0u);
    qemu.send_only(kStartupClear);
    EXPECT_FALSE(readable_within(qemu.data_fd(), 500));  // held
    EXPECT_TRUE(held_);
    // The TPM is started: the host's launch works while the guest waits.
    host_control().drtm_sequence(binary::as_bytes("boot-time DCE"));
    const auto expected = launch_value("boot-time DCE");
    EXPECT_EQ(host_pcr(17), Bytes(expected.begin(), expected.end()));
    mux_->release_startup();
    ASSERT_TRUE(readable_within(qemu.data_fd(), 2000));
    EXPECT_EQ(get32(qemu.response(), 6), 0u);  // the firmware's Startup succeeded
    EXPECT_EQ(guest_pcr(qemu, 17), Bytes(expected.begin(), expected.end()));
    // Only the first is held: another Startup is answered at once.
    auto again = qemu.command(kStartupClear);
    EXPECT_EQ(get32(again, 6), 0x100u);  // TPM_RC_INITIALIZE
}

TEST_F(HeldStartupTest, AFailedStartupIsNotHeld) {
    FakeQemu qemu(dir_ / "qemu.sock");
    ASSERT_EQ(qemu.set_data_fd(), 0u);
    // TPM2_Startup(STATE) on a TPM never saved fails: nothing to launch on.
    const Bytes startup_state = {0x80, 0x01, 0, 0, 0, 0x0C, 0, 0, 0x01, 0x44, 0, 1};
    auto r = qemu.command(startup_state);
    EXPECT_NE(get32(r, 6), 0u);
    EXPECT_FALSE(held_);
    // The first successful one is.
    qemu.send_only(kStartupClear);
    EXPECT_FALSE(readable_within(qemu.data_fd(), 300));
    EXPECT_TRUE(held_);
    mux_->release_startup();
    ASSERT_TRUE(readable_within(qemu.data_fd(), 2000));
    EXPECT_EQ(get32(qemu.response(), 6), 0u);
}
