#include "inspect/guest_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace drtm::inspect {

GuestMemory::GuestMemory(const std::filesystem::path& ram_file, std::uint64_t ram_size)
    : size_(ram_size) {
    if (ram_size == 0 || ram_size >= kMaxIdentityMapped)
        throw std::invalid_argument(
            "guest RAM of " + std::to_string(ram_size >> 20) +
            " MiB: only guests below 2.75 GiB map guest-physical addresses 1:1 into the RAM file");
    int fd = ::open(ram_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error("cannot open guest RAM " + ram_file.string() + ": " +
                                 std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < ram_size) {
        ::close(fd);
        throw std::runtime_error(ram_file.string() + " is smaller than the guest's " +
                                 std::to_string(ram_size) + " bytes of RAM");
    }
    void* p = ::mmap(nullptr, ram_size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED)
        throw std::runtime_error("cannot map guest RAM " + ram_file.string() + ": " +
                                 std::strerror(errno));
    base_ = static_cast<const std::uint8_t*>(p);
}

GuestMemory::~GuestMemory() {
    if (base_) ::munmap(const_cast<std::uint8_t*>(base_), size_);
}

binary::ByteView GuestMemory::view(std::uint64_t gpa, std::size_t n) const {
    if (gpa > size_ || n > size_ - gpa)
        throw std::out_of_range("guest-physical range " + std::to_string(gpa) + "+" +
                                std::to_string(n) + " is outside the guest's RAM");
    return {base_ + gpa, n};
}

std::uint8_t GuestMemory::prefault(std::uint64_t gpa, std::size_t n) const {
    auto source = view(gpa, n);
    // One read per page maps it into this process; the sum keeps the
    // compiler from dropping the reads.
    std::uint8_t sum = 0;
    for (std::size_t off = 0; off < n; off += 4096)
        sum = static_cast<std::uint8_t>(
            sum + static_cast<const volatile std::uint8_t*>(source.data())[off]);
    return sum;
}

void GuestMemory::copy(std::uint64_t gpa, std::size_t n, binary::Bytes& out,
                       unsigned threads) const {
    auto source = view(gpa, n);
    if (out.size() != n) {
        out.assign(n, 0);  // touches every page now, not during the copy
    }
    if (threads <= 1 || n < (1u << 20)) {
        std::memcpy(out.data(), source.data(), n);
        return;
    }
    const std::size_t share = (n / threads + 4095) / 4096 * 4096;
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < threads && t * share < n; ++t) {
        const std::size_t begin = t * share, len = std::min(share, n - begin);
        helpers.emplace_back(
            [&, begin, len] { std::memcpy(out.data() + begin, source.data() + begin, len); });
    }
    std::memcpy(out.data(), source.data(), std::min(share, n));
    for (auto& h : helpers) h.join();
}

}  // namespace drtm::inspect
