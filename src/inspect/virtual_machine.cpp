#include "inspect/virtual_machine.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <stdexcept>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "image/xen.hpp"

namespace drtm::inspect {

namespace fs = std::filesystem;

namespace {

// QEMU's multiboot -initrd: "file args,file args"; a comma inside a command
// line is written twice, and a file name cannot hold one.
std::string multiboot_modules_argument(const std::vector<MultibootModule>& modules) {
    std::string out;
    for (const auto& m : modules) {
        const auto file = m.file.string();
        if (file.find(',') != std::string::npos || file.find(' ') != std::string::npos)
            throw std::runtime_error(
                "a multiboot module's path cannot hold a comma or a space "
                "(QEMU's -initrd syntax): " +
                file);
        if (!out.empty()) out += ',';
        out += file;
        if (!m.command_line.empty()) {
            out += ' ';
            for (char c : m.command_line) {
                out += c;
                if (c == ',') out += ',';
            }
        }
    }
    return out;
}

// Starts `argv` with stdout/stderr to `log`; the child is killed when this
// process dies.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the caller may block SIGTERM
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, 0);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

// Waits up to timeout_ms for the child to exit; kills it after that.
void reap(pid_t& pid, int timeout_ms) {
    if (pid <= 0) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid = -1;
}

bool exited(pid_t pid) {
    int status = 0;
    return pid <= 0 || ::waitpid(pid, &status, WNOHANG) != 0;
}

// A log that may not exist yet reads as empty.
std::string read_if_present(const fs::path& file) {
    try {
        return binary::read_text_file(file);
    } catch (const std::exception&) {
        return "";
    }
}

std::string tail_of(const fs::path& file) {
    auto s = read_if_present(file);
    return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

std::atomic<int> g_vm_counter{0};

}  // namespace

std::string default_xen_append(std::uint32_t memory_mib) {
    const auto dom0 = std::to_string(memory_mib / 2) + "M";
    return "console=com1 com1=115200,8n1 dom0_mem=" + dom0 + ",max:" + dom0 + " noreboot";
}

void configure_xen_guest(VmConfig& c, const fs::path& xen, const fs::path& dom0,
                         const fs::path& initrd, const std::string& xen_append,
                         const std::string& dom0_append) {
    fs::create_directories(c.dir);
    auto image =
        binary::in_file(xen.string(), [&] { return image::load_xen(binary::read_file(xen)); });
    if (!image.is_elf) throw std::runtime_error(xen.string() + ": not a Xen ELF image");
    c.kernel = c.dir / "xen";
    binary::write_file_atomic(c.kernel, binary::ByteView(image.image));
    c.initrd.clear();
    c.modules = {{fs::absolute(dom0), dom0_append.empty() ? kDefaultDom0Append : dom0_append}};
    if (!initrd.empty()) c.modules.push_back({fs::absolute(initrd), ""});
    c.append = xen_append.empty() ? default_xen_append(c.memory_mib) : xen_append;
}

VirtualMachine::VirtualMachine(VmConfig config) : config_(std::move(config)) {
    if (!config_.initrd.empty() && !config_.modules.empty())
        throw std::invalid_argument("a guest has an initrd or multiboot modules, not both");
    try {
        fs::create_directories(config_.dir / "tpm");
        fs::permissions(config_.dir, fs::perms::owner_all, fs::perm_options::replace);
        for (const char* stale : {"swtpm.ctrl", "qemu-tpm.sock", "tpm.sock", "tpm.sock.ctrl",
                                  "qmp.sock", "qmp-inspect.sock", "qmp-launch.sock", "gdb.sock",
                                  "console.log", "drtm-eventlog.bin"})
            fs::remove(config_.dir / stale);

        // swtpm as QEMU needs it: a control socket, no data server (the data
        // channel is handed over with SET_DATAFD). The guest's firmware
        // starts the TPM, as on a real machine.
        const auto ctrl = config_.dir / "swtpm.ctrl";
        swtpm_ = spawn(
            {"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + (config_.dir / "tpm").string(),
             "--ctrl", "type=unixio,path=" + ctrl.string(), "--flags", "not-need-init", "--log",
             "file=" + (config_.dir / "swtpm.log").string() + ",level=1"},
            config_.dir / "swtpm.out");
        for (int i = 0; i < 500 && !fs::exists(ctrl); ++i) {
            if (exited(swtpm_))
                throw std::runtime_error("swtpm exited at start: " +
                                         tail_of(config_.dir / "swtpm.out"));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!fs::exists(ctrl)) throw std::runtime_error("swtpm did not create " + ctrl.string());

        TpmMultiplexerOptions mo;
        mo.swtpm_control = ctrl;
        mo.qemu_socket = config_.dir / "qemu-tpm.sock";
        mo.host_socket = config_.dir / "tpm.sock";
        if (config_.boot_launch) {
            boot_launch_ = std::make_unique<BootLaunch>(*config_.boot_launch,
                                                        config_.dir / "drtm-eventlog.bin");
            mo.hold_first_startup = true;
            mo.startup_held = [launcher = boot_launch_.get()] { launcher->startup_held(); };
        }
        mux_ = std::make_unique<TpmMultiplexer>(mo);
        mux_thread_ = std::thread([this] {
            try {
                mux_->run();
            } catch (const std::exception& e) {
                std::lock_guard lock(mux_error_mutex_);
                mux_error_ = e.what();
            }
            mux_done_ = true;
        });

        // Guest RAM in a shared file the inspector maps (share=on: guest
        // writes reach the file). QEMU does not delete it; we do.
        // tmpfs when it has room (a container's /dev/shm may be 64 MiB, and
        // a guest touching a page past it would die of SIGBUS); else the
        // state directory.
        std::error_code space_error;
        const auto shm = fs::space("/dev/shm", space_error);
        const fs::path ram_dir =
            !space_error && shm.available > (std::uintmax_t(config_.memory_mib) << 20) + (64u << 20)
                ? fs::path("/dev/shm")
                : config_.dir;
        // Created here, exclusively and private: QEMU opens an existing file
        // as it is, so a file someone else planted (or could read) would
        // share the guest's memory with them.
        for (int attempt = 0;; ++attempt) {
            ram_file_ = ram_dir / ("drtm-vm-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(g_vm_counter++) + "-" +
                                   std::to_string(std::random_device{}()) + ".ram");
            int fd =
                ::open(ram_file_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd >= 0) {
                const int rc = ::ftruncate(fd, static_cast<off_t>(ram_size()));
                ::close(fd);
                if (rc != 0)
                    throw std::runtime_error("cannot size the guest RAM file " +
                                             ram_file_.string());
                break;
            }
            if (errno != EEXIST || attempt > 10) {
                const int e = errno;
                ram_file_.clear();
                throw std::runtime_error("cannot create the guest RAM file in " + ram_dir.string() +
                                         ": " + std::strerror(e));
            }
        }
        const std::string mib = std::to_string(config_.memory_mib) + "M";
        std::vector<std::string> argv = {
            "qemu-system-x86_64",
            "-accel",
            "tcg",
            "-machine",
            "q35,memory-backend=mem",
            "-cpu",
            config_.cpu_model,
            "-smp",
            std::to_string(config_.cpus),
            "-m",
            mib,
            "-object",
            "memory-backend-file,id=mem,size=" + mib + ",mem-path=" + ram_file_.string() +
                ",share=on",
            "-display",
            "none",
            "-no-reboot",
            "-nodefaults",
            "-serial",
            "file:" + console_log().string(),
            "-qmp",
            "unix:" + (config_.dir / "qmp.sock").string() + ",server=on,wait=off",
            // A second monitor for inspectors (a QMP monitor serves one
            // client at a time, and this object holds the first).
            "-qmp",
            "unix:" + inspector_qmp_socket().string() + ",server=on,wait=off",
            "-gdb",
            "unix:" + gdb_socket().string() + ",server=on,wait=off",
            "-chardev",
            "socket,id=chrtpm,path=" + (config_.dir / "qemu-tpm.sock").string(),
            "-tpmdev",
            "emulator,id=tpm0,chardev=chrtpm",
            "-device",
            "tpm-tis,tpmdev=tpm0",
            "-kernel",
            config_.kernel.string(),
        };
        if (!config_.initrd.empty()) {
            argv.push_back("-initrd");
            argv.push_back(config_.initrd.string());
        } else if (!config_.modules.empty()) {
            argv.push_back("-initrd");
            argv.push_back(multiboot_modules_argument(config_.modules));
        }
        if (!config_.append.empty()) {
            argv.push_back("-append");
            argv.push_back(config_.append);
        }
        if (boot_launch_) {
            argv.insert(argv.end(), {"-fw_cfg", boot_launch_->fw_cfg_argument(), "-qmp",
                                     "unix:" + (config_.dir / "qmp-launch.sock").string() +
                                         ",server=on,wait=off"});
        }
        qemu_ = spawn(argv, config_.dir / "qemu.log");
        try {
            qmp_ = std::make_unique<QmpClient>(config_.dir / "qmp.sock", 10000);
        } catch (const QmpError& e) {
            throw std::runtime_error(std::string("QEMU did not start: ") + e.what() + "\n" +
                                     tail_of(config_.dir / "qemu.log"));
        }
        if (boot_launch_)
            boot_launch_->start(mux_->host_tcti(), config_.dir / "qmp-launch.sock",
                                [this] { mux_->release_startup(); });
    } catch (...) {
        shut_down();
        throw;
    }
}

VirtualMachine::~VirtualMachine() {
    shut_down();
}

void VirtualMachine::shut_down() noexcept {
    if (boot_launch_) boot_launch_->cancel();
    try {
        if (qmp_ && !exited(qemu_)) qmp_->execute("quit");
    } catch (...) {
        // QEMU may close the connection before it answers.
    }
    qmp_.reset();
    reap(qemu_, 5000);
    // QEMU's exit sent SHUTDOWN through the multiplexer, which then ends.
    if (mux_) mux_->stop();
    if (mux_thread_.joinable()) mux_thread_.join();
    // The launcher may still be talking to the multiplexer (which closed
    // its clients when it stopped) or calling release_startup().
    boot_launch_.reset();
    mux_.reset();
    if (swtpm_ > 0) ::kill(swtpm_, SIGTERM);
    reap(swtpm_, 2000);
    std::error_code ec;
    if (!ram_file_.empty()) fs::remove(ram_file_, ec);
    fs::remove(config_.dir / "qmp.sock", ec);
    fs::remove(inspector_qmp_socket(), ec);
    fs::remove(gdb_socket(), ec);
    fs::remove(config_.dir / "qmp-launch.sock", ec);
    fs::remove(config_.dir / "swtpm.ctrl", ec);
}

std::string VirtualMachine::host_tcti() const {
    return mux_->host_tcti();
}

bool VirtualMachine::running() const {
    // A multiplexer that stopped on its own leaves the guest without a TPM.
    return !exited(qemu_) && !mux_done_ && !(boot_launch_ && boot_launch_->failed());
}

std::string VirtualMachine::failure() const {
    if (boot_launch_ && boot_launch_->failed()) return boot_launch_->error();
    std::lock_guard lock(mux_error_mutex_);
    return mux_error_.empty() ? "" : "the TPM multiplexer failed: " + mux_error_;
}

std::string VirtualMachine::console() const {
    return read_if_present(console_log());
}

bool VirtualMachine::wait_for_console(const std::string& text, int timeout_ms) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (console().find(text) != std::string::npos) return true;
        if (exited(qemu_)) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace drtm::inspect
