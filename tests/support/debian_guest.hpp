// The Debian-kernel guest the e2e tests boot: the artifact bzImage's own ELF
// through its PVH entry, the inspection initrd of scripts/fetch-artifacts.sh,
// and drtm's default command line.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "binary/file_io.hpp"
#include "image/vmlinux.hpp"
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
    const std::filesystem::path& dir, bool kaslr = false) {
    if (!std::filesystem::exists(artifacts() / "guest-initrd.img"))
        throw std::runtime_error("no guest-initrd.img: run scripts/fetch-artifacts.sh");
    drtm::inspect::VmConfig c;
    c.dir = dir;
    std::filesystem::remove_all(dir);
    c.kernel = kaslr ? artifacts() / "vmlinuz" : debian_vmlinux_elf();
    c.initrd = artifacts() / "guest-initrd.img";
    c.append = drtm::inspect::kDefaultLinuxAppend;
    auto vm = std::make_unique<drtm::inspect::VirtualMachine>(c);
    if (!vm->wait_for_console("GUEST-READY", 90000))
        throw std::runtime_error("the guest did not boot:\n" + vm->console());
    return vm;
}

}  // namespace testsupport
