// The guests the e2e tests boot: the Debian kernel (the artifact bzImage's
// own ELF through its PVH entry, or the bzImage for KASLR), or Debian's Xen
// with that kernel as dom0; the inspection initrd of
// scripts/fetch-artifacts.sh, and drtm's default command lines.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "binary/file_io.hpp"
#include "image/vmlinux.hpp"
#include "image/xen.hpp"
#include "inspect/linux_inspector.hpp"
#include "inspect/qmp_client.hpp"
#include "inspect/virtual_machine.hpp"

namespace testsupport {

inline std::filesystem::path artifacts() {
    return DRTM_ARTIFACTS_DIR;
}

// The kernel ELF, written once per process and removed at exit.
inline const std::filesystem::path& debian_vmlinux_elf() {
    struct File {
        std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("drtm-e2e-vmlinux-" + std::to_string(::getpid()));
        File() {
            auto v = drtm::image::extract_vmlinux(drtm::binary::read_file(artifacts() / "vmlinuz"));
            drtm::binary::write_file_atomic(path, drtm::binary::ByteView(v.elf));
        }
        ~File() { std::filesystem::remove(path); }
    };
    static File file;
    return file.path;
}

// Boots the guest in `dir` (emptied first) and waits for GUEST-READY. With
// `kaslr`, QEMU boots the bzImage itself and its decompressor randomises
// the kernel's physical and virtual addresses.
inline std::unique_ptr<drtm::inspect::VirtualMachine> boot_debian_guest(
    const std::filesystem::path& dir, bool kaslr = false, std::uint32_t cpus = 1) {
    if (!std::filesystem::exists(artifacts() / "guest-initrd.img"))
        throw std::runtime_error("no guest-initrd.img: run scripts/fetch-artifacts.sh");
    drtm::inspect::VmConfig c;
    c.dir = dir;
    std::filesystem::remove_all(dir);
    c.kernel = kaslr ? artifacts() / "vmlinuz" : debian_vmlinux_elf();
    c.initrd = artifacts() / "guest-initrd.img";
    c.append = drtm::inspect::kDefaultLinuxAppend;
    c.cpus = cpus;
    auto vm = std::make_unique<drtm::inspect::VirtualMachine>(c);
    if (!vm->wait_for_console("GUEST-READY", 90000))
        throw std::runtime_error("the guest did not boot:\n" + vm->console());
    return vm;
}

// Debian's Xen with the Debian kernel as dom0 (the same inspection initrd),
// booted through QEMU's multiboot loader as `drtm vm run --xen` does it.
// With more than one CPU, Xen runs on all and dom0 keeps one vCPU.
inline std::unique_ptr<drtm::inspect::VirtualMachine> boot_xen_guest(
    const std::filesystem::path& dir, std::uint32_t cpus = 1) {
    if (!std::filesystem::exists(artifacts() / "xen-syms"))
        throw std::runtime_error("no xen-syms: run scripts/fetch-artifacts.sh");
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    drtm::inspect::VmConfig c;
    c.dir = dir;
    c.cpus = cpus;
    drtm::inspect::configure_xen_guest(
        c, artifacts() / "xen.gz", artifacts() / "vmlinuz", artifacts() / "guest-initrd.img",
        cpus > 1 ? drtm::inspect::default_xen_append(c.memory_mib) + " dom0_max_vcpus=1" : "");
    auto vm = std::make_unique<drtm::inspect::VirtualMachine>(c);
    if (!vm->wait_for_console("GUEST-READY", 120000))
        throw std::runtime_error("Xen's dom0 did not boot:\n" + vm->console());
    return vm;
}

// A byte of `function` (from +4 on) that no patch site and no relocation
// field covers: a change there is one every inspection must report. The
// tests use cmdline_find_option_bool, which a running kernel no longer calls.
inline std::uint64_t plain_byte_of(const drtm::inspect::LinuxGolden& golden, const char* function) {
    std::uint64_t va = golden.symbols().require(function) + 4;
    for (bool covered = true; covered;) {
        covered = false;
        for (const auto& s : golden.sites())
            if (va >= s.address && va < s.address + s.length) covered = true;
        for (auto r : golden.relocations().rel32)
            if (va >= r && va < r + 4) covered = true;
        if (covered) ++va;
    }
    return va;
}

// The guest-RAM byte at guest-physical `offset`.
inline std::uint8_t guest_byte(const std::filesystem::path& ram_file, std::uint64_t offset) {
    const int fd = ::open(ram_file.c_str(), O_RDONLY | O_CLOEXEC);
    std::uint8_t b = 0;
    const bool ok = fd >= 0 && ::pread(fd, &b, 1, static_cast<off_t>(offset)) == 1;
    if (fd >= 0) ::close(fd);
    if (!ok) throw std::runtime_error("cannot read the guest's RAM file");
    return b;
}

// The little-endian 8-byte guest-RAM word at guest-physical `offset`.
inline std::uint64_t guest_word(const std::filesystem::path& ram_file, std::uint64_t offset) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t(guest_byte(ram_file, offset + i)) << (8 * i);
    return v;
}

// Writes `bytes` while the guest is paused over `qmp`, then resumes the guest.
inline void set_guest_bytes(drtm::inspect::QmpClient& qmp, const std::filesystem::path& ram_file,
                            std::uint64_t offset, const void* bytes, std::size_t size) {
    const int fd = ::open(ram_file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open the guest's RAM file");
    qmp.stop();
    const bool ok =
        ::pwrite(fd, bytes, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
    qmp.cont();
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write the guest's RAM file");
}

inline void set_guest_byte(drtm::inspect::QmpClient& qmp, const std::filesystem::path& ram_file,
                           std::uint64_t offset, std::uint8_t value) {
    set_guest_bytes(qmp, ram_file, offset, &value, 1);
}

}  // namespace testsupport
