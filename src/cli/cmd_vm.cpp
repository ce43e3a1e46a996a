// drtm vm run: a QEMU guest whose TPM the host shares through the TPM
// multiplexer, in the foreground until SIGINT/SIGTERM or the guest powers
// off. Other drtm commands reach the guest's TPM with the TCTI it prints.
#include <signal.h>

#include <iostream>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "image/elf.hpp"
#include "image/vmlinux.hpp"
#include "image/xen.hpp"
#include "inspect/virtual_machine.hpp"

namespace drtm::cli {

void register_vm(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "vm", "Run a QEMU guest on an emulated TPM the host can launch on while the guest runs");
    cmd->require_subcommand(1);
    struct Options {
        std::string dir, kernel, initrd, append = inspect::kDefaultLinuxAppend, cpu = "qemu64",
                                         wait_for, xen, xen_append, launch_dce, flavour = "amd";
        std::uint32_t memory = 512, cpus = 1;
        int wait_seconds = 120;
        std::string boot = "pvh";
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* run = cmd->add_subcommand(
        "run",
        "Start swtpm, the TPM multiplexer and QEMU (TCG, q35, tpm-tis) in DIR; print the "
        "host's TCTI for the guest's TPM; stop everything on SIGINT/SIGTERM or guest power-off");
    run->add_option("--dir", o->dir, "State directory (created, mode 0700)")->required();
    run->add_option("--kernel", o->kernel,
                    "Linux bzImage (its ELF is extracted and booted through the PVH entry) or "
                    "an ELF with a PVH note; with --xen, dom0's bzImage")
        ->required()
        ->check(CLI::ExistingFile);
    auto* xen = run->add_option("--xen", o->xen,
                                "Boot this Xen (xen.gz, or its gunzipped ELF) through QEMU's "
                                "multiboot loader, with --kernel and --initrd as dom0's")
                    ->check(CLI::ExistingFile);
    run->add_option("--xen-append", o->xen_append,
                    "Xen's command line (default: console=com1 com1=115200,8n1 and half the "
                    "guest's RAM for dom0)")
        ->needs(xen);
    run->add_option("--boot", o->boot,
                    "pvh: boot the bzImage's ELF through its PVH entry (fast, at the link "
                    "address); bzimage: boot the bzImage itself, so its decompressor "
                    "randomises the kernel (KASLR)")
        ->check(CLI::IsMember({"pvh", "bzimage"}))
        ->capture_default_str();
    run->add_option("--initrd", o->initrd, "Initial ramdisk")->check(CLI::ExistingFile);
    auto* append = run->add_option("--append", o->append,
                                   "Kernel command line (with --xen, dom0's; default: " +
                                       std::string(inspect::kDefaultDom0Append) + ")")
                       ->capture_default_str();
    run->add_option("--memory", o->memory, "Guest RAM in MiB (at most 2048)")
        ->capture_default_str()
        ->check(CLI::Range(64, 2048));
    run->add_option("--cpus", o->cpus, "Virtual CPUs")
        ->capture_default_str()
        ->check(CLI::Range(1, 8));
    run->add_option("--cpu", o->cpu, "QEMU CPU model")->capture_default_str();
    auto* dce = run->add_option("--launch-dce", o->launch_dce,
                                "Boot-time dynamic launch with this DCE (SKL image, or SINIT ACM "
                                "with --flavour intel): the guest starts with PCR 17-22 of a "
                                "launch of its own kernel (or Xen) and reads the DRTM log from "
                                "fw_cfg (opt/org.trenchboot/drtm/eventlog)")
                    ->check(CLI::ExistingFile);
    run->add_option("--flavour", o->flavour, "The boot-time launch's flavour")
        ->check(CLI::IsMember({"amd", "intel"}))
        ->capture_default_str()
        ->needs(dce);
    run->add_option("--wait-for", o->wait_for,
                    "Report ready only once the guest's console shows this text");
    run->add_option("--wait-seconds", o->wait_seconds, "How long to wait for --wait-for")
        ->capture_default_str();
    run->add_flag("--json", o->json, "Print the ready line as JSON");
    run->callback([o, append] {
        namespace fs = std::filesystem;
        inspect::VmConfig c;
        c.dir = fs::absolute(o->dir);
        c.initrd = o->initrd;
        c.append = o->append;
        c.memory_mib = o->memory;
        c.cpus = o->cpus;
        c.cpu_model = o->cpu;
        auto kernel = binary::read_file(o->kernel);
        if (!o->xen.empty()) {
            inspect::configure_xen_guest(c, o->xen, o->kernel, o->initrd, o->xen_append,
                                         append->count() ? o->append : "");
        } else if (image::looks_elf(kernel) || o->boot == "bzimage") {
            c.kernel = fs::absolute(o->kernel);
        } else {
            // QEMU boots the kernel's own ELF through its PVH note: no
            // decompressor under TCG, half the boot time.
            fs::create_directories(c.dir);
            auto v = binary::in_file(o->kernel, [&] { return image::extract_vmlinux(kernel); });
            c.kernel = c.dir / "vmlinux";
            binary::write_file_atomic(c.kernel, binary::ByteView(v.elf));
        }

        if (!o->launch_dce.empty()) {
            launch::LaunchRequest r;
            r.flavour = o->flavour == "intel" ? launch::Flavour::intel : launch::Flavour::amd;
            r.dce = o->launch_dce;
            if (!o->xen.empty()) {
                launch::XenDlme x;
                x.xen = o->xen;
                x.cmdline = c.append;
                for (const auto& m : c.modules) x.modules.push_back({m.file, m.command_line});
                r.dlme = x;
            } else {
                launch::LinuxDlme l;
                l.kernel = o->kernel;
                if (!o->initrd.empty()) l.initrd = o->initrd;
                l.cmdline = c.append;
                r.dlme = l;
            }
            c.boot_launch = std::move(r);
        }

        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts

        progress("starting swtpm, the TPM multiplexer and QEMU in " + c.dir.string());
        inspect::VirtualMachine vm(c);
        nlohmann::json boot_launch;
        if (auto* launcher = vm.boot_launch()) {
            progress("boot-time launch: waiting for the guest's firmware to start the TPM");
            // In slices: a signal or a guest that died ends the wait.
            bool launched = false;
            for (int slice = 0; slice < 750 && !launched; ++slice) {
                launched = launcher->wait(200);
                if (launched || launcher->failed()) break;
                timespec now{0, 0};
                if (sigtimedwait(&stop_signals, nullptr, &now) > 0)
                    throw std::runtime_error("interrupted while waiting for the boot-time launch");
                if (!vm.running())
                    throw std::runtime_error("the guest stopped before its boot-time launch: " +
                                             vm.failure());
            }
            if (!launched)
                throw std::runtime_error(launcher->failed() ? launcher->error()
                                                            : "the boot-time launch did not happen "
                                                              "within 150 s");
            const auto summary = launcher->summary();
            boot_launch = {{"eventlog", (c.dir / "drtm-eventlog.bin").string()},
                           {"fw_cfg", inspect::kDrtmLogFwCfgName},
                           {"verified", summary.value("verified", false)},
                           {"pcrs", summary.value("tpm_pcrs", nlohmann::json())}};
            progress("boot-time launch done: the log replays to PCR 17-22; the guest resumes");
        }
        if (!o->wait_for.empty() && !vm.wait_for_console(o->wait_for, o->wait_seconds * 1000))
            throw std::runtime_error("the guest's console did not show '" + o->wait_for +
                                     "' within " + std::to_string(o->wait_seconds) + " s; see " +
                                     vm.console_log().string());
        nlohmann::json ready = {{"tcti", vm.host_tcti()},
                                {"qmp", vm.inspector_qmp_socket().string()},
                                {"gdb", vm.gdb_socket().string()},
                                {"console", vm.console_log().string()},
                                {"ram_file", vm.ram_file().string()},
                                {"ram_size", vm.ram_size()},
                                {"qemu_pid", vm.qemu_pid()}};
        if (!boot_launch.is_null()) ready["boot_launch"] = boot_launch;
        // What the guest runs, as the host started it: `drtm inspect` holds
        // a kernel under Xen to a PV guest's boot, not the guest's word.
        ready["hypervisor"] = o->xen.empty() ? "none" : "xen";
        // What `drtm inspect --vm DIR` reads to find this guest.
        const auto descriptor = c.dir / "vm.json";
        binary::write_file_atomic(descriptor, ready.dump(2) + "\n", 0600);
        if (o->json)
            std::cout << ready.dump() << std::endl;
        else
            std::cout << "guest running; its TPM for the host: " << vm.host_tcti()
                      << "\nQMP: " << ready["qmp"].get<std::string>()
                      << "\nconsole: " << vm.console_log().string() << std::endl;
        for (;;) {
            timespec tick{0, 200 * 1000 * 1000};
            int sig = sigtimedwait(&stop_signals, nullptr, &tick);
            if (sig > 0) {
                progress("stopping the guest (signal " + std::to_string(sig) + ")");
                break;
            }
            if (!vm.running()) {
                auto why = vm.failure();
                if (!why.empty()) throw std::runtime_error(why);
                progress("the guest has stopped (QEMU exited)");
                break;
            }
        }
        std::error_code ec;
        fs::remove(descriptor, ec);
    });
}

}  // namespace drtm::cli
