// The pause window of runtime inspection: how long a running guest is
// frozen (QMP stop → cont) while the inspector takes its copy of the
// kernel's code. Boots Debian's kernel under QEMU (PVH, so .text sits at
// its link address, physical 0x1000000), then N times:
//
//   copy:  stop → copy .text and .rodata out of the shared RAM file into
//          pre-touched buffers → cont   (drtm's way: compare after resuming)
//   hash:  stop → SHA-256 of .text straight from the mapping → cont
//          (the anchor: measuring inside the pause, as HyperSentry-style
//          checkers and the reference measurements did)
//
// and prints median and p99 of each, their ratio, and how many .text pages
// of the copy equal the golden ELF raw (before patch sites are explained).
//
//   inspect_pause --kernel vmlinuz --initrd guest-initrd.img [--runs 100] [--threads 2] [--dir D]
#include <openssl/evp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "binary/file_io.hpp"
#include "image/elf.hpp"
#include "image/vmlinux.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/virtual_machine.hpp"

using namespace drtm;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kKernelMap = 0xffffffff80000000ull;  // __START_KERNEL_map

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
    std::string kernel, initrd, dir = "/tmp/drtm-inspect-pause";
    int runs = 100;
    unsigned threads = 2;
    app.add_option("--kernel", kernel, "Debian bzImage")->required()->check(CLI::ExistingFile);
    app.add_option("--initrd", initrd, "The inspection guest's initrd")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--runs", runs, "Inspections per method")->capture_default_str();
    app.add_option("--dir", dir, "VM state directory")->capture_default_str();
    app.add_option("--threads", threads, "Copy threads while paused")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    auto v = image::extract_vmlinux(binary::read_file(kernel));
    auto elf = image::ElfImage::parse(v.elf);
    const auto* text = elf.section(".text");
    const auto* rodata = elf.section(".rodata");
    fs::remove_all(dir);
    const fs::path vmlinux = fs::path(dir + "-vmlinux");
    binary::write_file_atomic(vmlinux, binary::ByteView(v.elf));

    inspect::VmConfig c;
    c.dir = dir;
    c.kernel = vmlinux;
    c.initrd = initrd;
    c.append = inspect::kDefaultLinuxAppend;
    inspect::VirtualMachine vm(c);
    if (!vm.wait_for_console("GUEST-READY", 120000)) {
        std::cerr << "the guest did not boot:\n" << vm.console();
        return 1;
    }
    inspect::GuestMemory ram(vm.ram_file(), vm.ram_size());
    auto& qmp = vm.qmp();

    binary::Bytes text_copy, rodata_copy;
    ram.copy(text->addr - kKernelMap, text->size, text_copy);  // first touch outside the window
    ram.copy(rodata->addr - kKernelMap, rodata->size, rodata_copy);

    std::vector<double> copy_window, copy_stop, copy_cont, hash_window;
    for (int i = 0; i < runs; ++i) {
        auto t0 = Clock::now();
        qmp.stop();
        auto t1 = Clock::now();
        ram.copy(text->addr - kKernelMap, text->size, text_copy, threads);
        ram.copy(rodata->addr - kKernelMap, rodata->size, rodata_copy, threads);
        auto t2 = Clock::now();
        qmp.cont();
        auto t3 = Clock::now();
        copy_window.push_back(ms(t3 - t0));
        copy_stop.push_back(ms(t1 - t0));
        copy_cont.push_back(ms(t3 - t2));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    unsigned char digest[32];
    for (int i = 0; i < runs; ++i) {
        auto t0 = Clock::now();
        qmp.stop();
        auto bytes = ram.view(text->addr - kKernelMap, text->size);
        unsigned int len = 0;
        EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
        qmp.cont();
        hash_window.push_back(ms(Clock::now() - t0));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    // Raw agreement with the golden image (patch sites not yet explained).
    auto golden = elf.contents(*text);
    std::size_t pages = 0, identical = 0;
    for (std::size_t off = 0; off < golden.size(); off += 4096, ++pages) {
        std::size_t n = std::min<std::size_t>(4096, golden.size() - off);
        if (std::memcmp(golden.data() + off, text_copy.data() + off, n) == 0) ++identical;
    }
    const bool alive = vm.wait_for_console("TICK", 1000);

    nlohmann::json out = {
        {"runs", runs},
        {"copy_threads", threads},
        {"text_bytes", text->size},
        {"rodata_bytes", rodata->size},
        {"copy_window_p50_ms", percentile(copy_window, 0.5)},
        {"copy_window_p99_ms", percentile(copy_window, 0.99)},
        {"copy_stop_p50_ms", percentile(copy_stop, 0.5)},
        {"copy_cont_p50_ms", percentile(copy_cont, 0.5)},
        {"hash_window_p50_ms", percentile(hash_window, 0.5)},
        {"hash_window_p99_ms", percentile(hash_window, 0.99)},
        {"hash_over_copy_p50", percentile(hash_window, 0.5) / percentile(copy_window, 0.5)},
        {"text_pages", pages},
        {"text_pages_identical_raw", identical},
        {"guest_alive", alive}};
    std::cout << out.dump() << "\n";
    std::cerr << "pause window, copy .text+.rodata (" << (text->size + rodata->size) / 1024
              << " KiB): p50 " << percentile(copy_window, 0.5) << " ms, p99 "
              << percentile(copy_window, 0.99) << " ms\n"
              << "pause window, SHA-256 of .text inside the pause (anchor): p50 "
              << percentile(hash_window, 0.5) << " ms, p99 " << percentile(hash_window, 0.99)
              << " ms\n"
              << "ratio (anchor / drtm) at p50: " << out["hash_over_copy_p50"].get<double>()
              << "x\n";
    fs::remove(vmlinux);
    return 0;
}
