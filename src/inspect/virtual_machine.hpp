// A QEMU guest whose TPM and memory the host reaches while it runs: swtpm
// (control socket only, as QEMU needs it), the TPM multiplexer in front of
// it, QEMU (TCG, q35, tpm-tis) with its RAM in a shared file and QMP for
// control. Everything is owned by this object: the children die with the
// process (PR_SET_PDEATHSIG), and the destructor quits QEMU, reaps the
// children and removes the RAM file and sockets, also after a failed start.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "inspect/boot_launch.hpp"
#include "inspect/qmp_client.hpp"
#include "inspect/tpm_multiplexer.hpp"

namespace drtm::inspect {

// The Linux command line the harness boots guests with. QEMU 7.2 copies the
// initrd over the top of RAM, where SeaBIOS put the ACPI tables once a TPM
// 2.0 device adds its 64 KiB log area: the guest must skip ACPI and find the
// TIS at its fixed address (polled, no interrupt).
inline constexpr const char* kDefaultLinuxAppend =
    "console=ttyS0 panic=-1 quiet acpi=off tpm_tis.force=1 tpm_tis.interrupts=0";

// Xen's command line: its console on the first serial port (the same file
// as dom0's, which Xen relays from hvc0), dom0 given half of the guest's RAM.
std::string default_xen_append(std::uint32_t memory_mib);

// Dom0's: the Linux one, but its console is Xen's (hvc0) and ACPI stays on
// (QEMU's multiboot loader puts modules low, clear of the ACPI tables; dom0
// needs ACPI for its interrupts, and finds the TPM in it).
inline constexpr const char* kDefaultDom0Append =
    "console=hvc0 panic=-1 quiet tpm_tis.interrupts=0";

struct VmConfig;

// Sets `config` up to boot Xen (xen.gz or its ELF) with `dom0` and `initrd`
// (optional) as its modules: Xen's ELF32 image is written to
// config.dir/xen (QEMU's multiboot loader reads neither gzip nor ELF64);
// empty command lines take the defaults. Throws for a file that is not Xen.
void configure_xen_guest(VmConfig& config, const std::filesystem::path& xen,
                         const std::filesystem::path& dom0, const std::filesystem::path& initrd,
                         const std::string& xen_append = "", const std::string& dom0_append = "");

struct MultibootModule {
    std::filesystem::path file;
    std::string command_line;
};

struct VmConfig {
    std::filesystem::path dir;     // state directory: sockets, console.log, TPM state
    std::filesystem::path kernel;  // Linux ELF with a PVH note (drtm image vmlinux), a bzImage,
                                   // or a multiboot ELF (Xen, gunzipped)
    std::filesystem::path initrd;  // optional
    // Multiboot modules after the kernel (Xen: dom0's kernel, then its
    // initrd). Instead of `initrd`.
    std::vector<MultibootModule> modules;
    std::string append;  // kernel (or Xen) command line
    // A boot-time dynamic launch of this request (boot_launch.hpp): the
    // guest starts with its PCR 17-22 and reads its log from fw_cfg.
    std::optional<launch::LaunchRequest> boot_launch;
    std::uint32_t memory_mib = 512;
    std::uint32_t cpus = 1;
    std::string cpu_model = "qemu64";
};

class VirtualMachine {
  public:
    // Starts everything and returns once QMP answers. Throws
    // std::runtime_error naming the step that failed (logs are in dir).
    explicit VirtualMachine(VmConfig config);
    ~VirtualMachine();
    VirtualMachine(const VirtualMachine&) = delete;
    VirtualMachine& operator=(const VirtualMachine&) = delete;

    std::string host_tcti() const;  // the guest's TPM, for the host
    const std::filesystem::path& ram_file() const { return ram_file_; }
    std::uint64_t ram_size() const { return std::uint64_t(config_.memory_mib) << 20; }
    std::filesystem::path console_log() const { return config_.dir / "console.log"; }
    QmpClient& qmp() { return *qmp_; }
    // The QMP monitor left for another process (drtm inspect).
    std::filesystem::path inspector_qmp_socket() const { return config_.dir / "qmp-inspect.sock"; }
    // QEMU's gdbstub, through which the inspector reads the vCPUs'
    // registers in its pause (owner-only, like the monitors).
    std::filesystem::path gdb_socket() const { return config_.dir / "gdb.sock"; }
    pid_t qemu_pid() const { return qemu_; }
    // The boot-time launch, if the configuration asked for one.
    BootLaunch* boot_launch() { return boot_launch_.get(); }
    // False once QEMU has exited (guest power-off, crash), the TPM
    // multiplexer has stopped or the boot-time launch failed (failure()
    // says why).
    bool running() const;
    std::string failure() const;

    // Waits until the guest's serial console shows `text`; false on timeout
    // or when QEMU has exited.
    bool wait_for_console(const std::string& text, int timeout_ms) const;
    std::string console() const;

  private:
    void shut_down() noexcept;

    VmConfig config_;
    std::filesystem::path ram_file_;
    pid_t swtpm_ = -1;
    pid_t qemu_ = -1;
    std::unique_ptr<TpmMultiplexer> mux_;
    std::thread mux_thread_;
    std::atomic<bool> mux_done_{false};
    mutable std::mutex mux_error_mutex_;
    std::string mux_error_;
    std::unique_ptr<QmpClient> qmp_;
    std::unique_ptr<BootLaunch> boot_launch_;
};

}  // namespace drtm::inspect
