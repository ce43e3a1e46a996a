// The pause window of runtime inspection: how long a running guest is
// frozen (QMP stop → cont) while `drtm inspect` takes its copy. Boots
// Debian's kernel under QEMU (PVH), or Debian's Xen with that kernel as
// dom0 (--xen), then N times (with --dom0: Xen's dom0, beside its Xen, with
// every page table Xen's frame table lists checked in the pause):
//
//   drtm:    one whole inspection (inspect_linux / inspect_xen, as `drtm
//            inspect --no-measure` runs it): locate → stop → copy .text and
//            .rodata, read CR3 and walk the page tables → cont → compare.
//            The window is the part between stop and the cont reply.
//   anchor:  stop → SHA-256 of .text straight from the mapping → cont, in
//            the same critical section as drtm's pause (pause_section.hpp)
//            (measuring inside the pause, as HyperSentry-style checkers and
//            the reference measurements did)
//
// and prints median and p99 of each, their ratio, and whether every
// inspection found the guest intact and the guest ran on.
//
//   inspect_pause --kernel vmlinuz --initrd guest-initrd.img
//                 [--xen xen.gz --xen-syms xen-syms [--dom0 [--no-frame-table]]]
//   (--dom0 reads Xen's frame table and dom0's vCPUs in the pause, as
//   `drtm inspect --xen --kernel` does; --no-frame-table neither)
//                 [--runs 100] [--dir D] [--samples FILE.csv]
#include <openssl/evp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "binary/file_io.hpp"
#include "image/vmlinux.hpp"
#include "image/xen.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/linux_inspector.hpp"
#include "inspect/pause_section.hpp"
#include "inspect/virtual_machine.hpp"
#include "inspect/xen_frame_table.hpp"
#include "inspect/xen_inspector.hpp"

using namespace drtm;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("Pause window of runtime inspection on a real QEMU guest");
    std::string kernel, initrd, xen, xen_syms, samples, dir = "/tmp/drtm-inspect-pause";
    int runs = 100;
    bool dom0 = false, no_frame_table = false;
    app.add_option("--kernel", kernel, "Debian bzImage (with --xen: dom0's)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--initrd", initrd, "The inspection guest's initrd")
        ->required()
        ->check(CLI::ExistingFile);
    auto* xen_opt = app.add_option("--xen", xen, "Inspect this Xen (xen.gz) instead of Linux")
                        ->check(CLI::ExistingFile);
    app.add_option("--xen-syms", xen_syms, "The golden Xen")
        ->check(CLI::ExistingFile)
        ->needs(xen_opt);
    auto* dom0_opt =
        app.add_flag("--dom0", dom0, "With --xen: inspect dom0 (beside its Xen) instead of Xen")
            ->needs(xen_opt);
    app.add_flag("--no-frame-table", no_frame_table,
                 "With --dom0: check only the vCPUs' page tables, not Xen's list of dom0's "
                 "nor its vCPUs as Xen holds them")
        ->needs(dom0_opt);
    app.add_option("--runs", runs, "Inspections per method")->capture_default_str();
    app.add_option("--dir", dir, "VM state directory")->capture_default_str();
    app.add_option("--samples", samples,
                   "Also write every inspection's stop, copy, cont and window (ms) here, as CSV");
    CLI11_PARSE(app, argc, argv);
    if (!xen.empty() && xen_syms.empty()) {
        std::cerr << "--xen needs --xen-syms\n";
        return 2;
    }

    const auto kernel_bytes = binary::read_file(kernel);
    const auto xen_syms_bytes = xen.empty() ? binary::Bytes{} : binary::read_file(xen_syms);
    std::unique_ptr<inspect::LinuxGolden> linux_golden;
    std::unique_ptr<inspect::XenGolden> xen_golden;
    fs::remove_all(dir);
    fs::create_directories(dir);
    inspect::VmConfig c;
    c.dir = dir;
    if (xen.empty()) {
        linux_golden = inspect::LinuxGolden::from_bzimage(kernel_bytes);
        auto v = image::extract_vmlinux(kernel_bytes);
        c.kernel = fs::path(dir) / "vmlinux";
        binary::write_file_atomic(c.kernel, binary::ByteView(v.elf));
        c.initrd = initrd;
        c.append = inspect::kDefaultLinuxAppend;
    } else {
        xen_golden = inspect::XenGolden::from_xen_syms(xen_syms_bytes);
        inspect::configure_xen_guest(c, xen, kernel, initrd);
        if (dom0)
            linux_golden =
                inspect::LinuxGolden::from_bzimage(kernel_bytes, inspect::LinuxPlatform::xen_pv);
    }
    const inspect::GoldenCode& golden =
        linux_golden ? static_cast<const inspect::GoldenCode&>(*linux_golden) : *xen_golden;
    inspect::VirtualMachine vm(c);
    if (!vm.wait_for_console("GUEST-READY", 150000)) {
        std::cerr << "the guest did not boot:\n" << vm.console();
        return 1;
    }
    inspect::GuestMemory ram(vm.ram_file(), vm.ram_size());
    inspect::QmpClient qmp(vm.inspector_qmp_socket());
    std::optional<inspect::XenFrameTable> frame_table;
    std::optional<inspect::XenDom0Vcpus> dom0_vcpus;
    if (dom0 && !no_frame_table) {
        // As `drtm inspect --xen --kernel` reads dom0 beside its Xen.
        frame_table = inspect::XenFrameTable::read(*xen_golden, ram);
        dom0_vcpus = inspect::XenDom0Vcpus::read_layout(*xen_golden, ram);
    }
    auto inspect_once = [&]() -> inspect::CodeInspection {
        if (linux_golden)
            return inspect::inspect_linux(*linux_golden, ram, {qmp, vm.gdb_socket()},
                                          frame_table ? &*frame_table : nullptr,
                                          dom0_vcpus ? &*dom0_vcpus : nullptr);
        return inspect::inspect_xen(*xen_golden, ram, {qmp, vm.gdb_socket()});
    };

    std::vector<double> window, stop, copy, cont, hash_window;
    int intact = 0, in_section = 0;
    std::uint64_t text_physical = 0;
    for (int i = 0; i < runs; ++i) {
        auto r = inspect_once();
        window.push_back(r.pause.window_ms);
        stop.push_back(r.pause.stop_ms);
        copy.push_back(r.pause.copy_ms);
        cont.push_back(r.pause.cont_ms);
        intact += r.intact();
        in_section += r.pause.realtime && r.pause.cpus_polling;
        text_physical = r.text_physical;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!samples.empty()) {
        std::string csv = "stop_ms,copy_ms,cont_ms,window_ms\n";
        for (std::size_t i = 0; i < window.size(); ++i)
            csv += std::to_string(stop[i]) + "," + std::to_string(copy[i]) + "," +
                   std::to_string(cont[i]) + "," + std::to_string(window[i]) + "\n";
        binary::write_file_atomic(
            samples,
            binary::ByteView(reinterpret_cast<const std::uint8_t*>(csv.data()), csv.size()));
    }
    const auto text_size = golden.text().size;
    unsigned char digest[32];
    bool anchor_in_section = true;
    for (int i = 0; i < runs; ++i) {
        // The same critical section as drtm's pause, so the two compare
        // methods, not priorities.
        inspect::PauseSection section;
        anchor_in_section = anchor_in_section && section.realtime() && section.cpus_polling();
        auto t0 = Clock::now();
        qmp.stop();
        auto bytes = ram.view(text_physical, text_size);
        unsigned int len = 0;
        EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
        qmp.cont();
        hash_window.push_back(ms(Clock::now() - t0));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::string guest = dom0          ? (frame_table ? "dom0" : "dom0-vcpu-tables-only")
                              : xen.empty() ? "linux"
                                            : "xen";
    const auto console_before = vm.console().size();
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    const bool alive = vm.console().size() > console_before;

    nlohmann::json out = {
        {"guest", guest},
        {"runs", runs},
        {"text_bytes", text_size},
        {"rodata_bytes", golden.rodata().size},
        {"window_p50_ms", percentile(window, 0.5)},
        {"window_p99_ms", percentile(window, 0.99)},
        {"stop_p50_ms", percentile(stop, 0.5)},
        {"copy_and_page_tables_p50_ms", percentile(copy, 0.5)},
        {"cont_p50_ms", percentile(cont, 0.5)},
        {"stop_p99_ms", percentile(stop, 0.99)},
        {"copy_and_page_tables_p99_ms", percentile(copy, 0.99)},
        {"cont_p99_ms", percentile(cont, 0.99)},
        {"hash_window_p50_ms", percentile(hash_window, 0.5)},
        {"hash_window_p99_ms", percentile(hash_window, 0.99)},
        {"hash_over_drtm_p50", percentile(hash_window, 0.5) / percentile(window, 0.5)},
        {"inspections_intact", intact},
        {"pauses_realtime_and_polling", in_section},
        {"anchor_realtime_and_polling", anchor_in_section},
        {"guest_alive", alive}};
    std::cout << out.dump() << "\n";
    std::cerr << guest << ": pause window of an inspection (copy "
              << (text_size + golden.rodata().size) / 1024 << " KiB, CR3 and page-table walk): p50 "
              << percentile(window, 0.5) << " ms, p99 " << percentile(window, 0.99) << " ms (stop "
              << percentile(stop, 0.5) << ", copy " << percentile(copy, 0.5) << ", cont "
              << percentile(cont, 0.5) << " at p50; " << percentile(stop, 0.99) << ", "
              << percentile(copy, 0.99) << ", " << percentile(cont, 0.99) << " at p99)\n"
              << "pause window, SHA-256 of .text inside the pause (anchor): p50 "
              << percentile(hash_window, 0.5) << " ms, p99 " << percentile(hash_window, 0.99)
              << " ms\n"
              << "ratio (anchor / drtm) at p50: " << out["hash_over_drtm_p50"].get<double>()
              << "x; " << intact << "/" << runs << " inspections intact; guest "
              << (alive ? "running" : "NOT running") << "\n"
              << in_section << "/" << runs
              << " pauses at real-time priority with the host's CPUs polling (the anchor's: "
              << (anchor_in_section ? "all" : "not all") << ")\n";
    fs::remove_all(dir);
    return intact == runs && alive ? 0 : 1;
}
