#include "host/physical_memory_device.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "binary/bytes.hpp"
#include "binary/error.hpp"

namespace drtm::host {

PhysicalMemoryDevice::PhysicalMemoryDevice(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        const int error = errno;
        std::string why = path_.string() + ": " + std::strerror(error);
        if (error == EACCES)
            why += " (reading physical memory needs root)";
        else if (error == EPERM)
            why +=
                " (it needs CAP_SYS_RAWIO, and kernel lockdown forbids /dev/mem entirely: "
                "see `cat /sys/kernel/security/lockdown`)";
        throw Unavailable(why);
    }
}

PhysicalMemoryDevice::~PhysicalMemoryDevice() {
    if (fd_ >= 0) ::close(fd_);
}

std::string PhysicalMemoryDevice::refused(std::uint64_t address, std::string_view what,
                                          int error) const {
    std::string why = path_.string() + ": reading " + std::string(what) + " at " +
                      binary::hex_number(address) + ": " + std::strerror(error);
    // Linux's read_mem() answers EPERM for a page devmem_is_allowed() rejects:
    // RAM above 1 MiB under CONFIG_STRICT_DEVMEM, or a range a driver claims
    // under CONFIG_IO_STRICT_DEVMEM.
    if (error == EPERM || error == EACCES)
        why +=
            " — the kernel forbids this range of /dev/mem (CONFIG_STRICT_DEVMEM forbids RAM "
            "above 1 MiB; CONFIG_IO_STRICT_DEVMEM forbids ranges a driver claims, unless booted "
            "with iomem=relaxed); read the log from securityfs where the kernel offers it";
    return why;
}

binary::Bytes PhysicalMemoryDevice::read(std::uint64_t address, std::size_t size,
                                         std::string_view what, bool map_if_refused) const {
    if (address > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()) - size)
        throw Unavailable(path_.string() + ": " + std::string(what) + " at " +
                          binary::hex_number(address) + " is beyond any physical address");
    binary::Bytes out(size);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n =
            ::pread(fd_, out.data() + done, size - done, static_cast<off_t>(address + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            // read() refuses addresses above the top of RAM (EFAULT) that a
            // mapping still reaches, as txt-stat falls back to.
            if (errno == EFAULT && map_if_refused) return read_mapped(address, size, what);
            throw Unavailable(refused(address + done, what, errno));
        }
        if (n == 0)
            throw Unavailable(path_.string() + ": " + std::string(what) + " at " +
                              binary::hex_number(address) + " (" + std::to_string(size) +
                              " bytes) runs past the end at " + binary::hex_number(address + done));
        done += static_cast<std::size_t>(n);
    }
    return out;
}

binary::Bytes PhysicalMemoryDevice::read_mapped(std::uint64_t address, std::size_t size,
                                                std::string_view what) const {
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t base = address & ~(page - 1);
    const std::size_t length = static_cast<std::size_t>(address - base) + size;
    void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd_, static_cast<off_t>(base));
    if (map == MAP_FAILED) throw Unavailable(refused(address, what, errno));
    const auto* from = static_cast<const std::uint8_t*>(map) + (address - base);
    binary::Bytes out(from, from + size);
    ::munmap(map, length);
    return out;
}

std::uint64_t PhysicalMemoryDevice::read_register64(std::uint64_t address) const {
    using T = std::uint64_t;
    if (address % sizeof(T) != 0)
        throw std::invalid_argument("unaligned register address " + binary::hex_number(address));
    const long page = ::sysconf(_SC_PAGESIZE);
    const std::uint64_t base = address & ~static_cast<std::uint64_t>(page - 1);
    void* map = ::mmap(nullptr, static_cast<std::size_t>(page), PROT_READ, MAP_SHARED, fd_,
                       static_cast<off_t>(base));
    if (map == MAP_FAILED) throw Unavailable(refused(address, "a device register", errno));
    struct Unmap {
        void* p;
        long n;
        ~Unmap() { ::munmap(p, static_cast<std::size_t>(n)); }
    } unmap{map, page};
    // One volatile load of the register's width: MMIO must not be split.
    // A file standing in for /dev/mem that ends before the page gives SIGBUS,
    // so the size is checked first.
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<std::uint64_t>(st.st_size) < address + sizeof(T))
        throw Unavailable(path_.string() + ": register at " + binary::hex_number(address) +
                          " is past the end of the file");
    const auto* reg =
        reinterpret_cast<const volatile T*>(static_cast<const char*>(map) + (address - base));
    return *reg;
}

}  // namespace drtm::host
