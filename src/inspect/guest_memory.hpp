// Read-only view of a paused guest's RAM through QEMU's shared memory file
// (memory-backend-file, share=on). On q35 with up to 2.75 GiB of RAM, the
// file offset of a guest-physical address is the address itself (QEMU maps
// all RAM below 4 GiB then); larger guests are refused rather than
// mistranslated.
//
// Only the ranges asked for are touched: reading a hole of a tmpfs file
// through a shared mapping allocates it (reference/runtime-inspection.md
// §2.3), so a whole-RAM scan would cost the host the guest's full size.
#pragma once

#include <cstdint>
#include <filesystem>

#include "binary/bytes.hpp"

namespace drtm::inspect {

class GuestMemory {
  public:
    GuestMemory(const std::filesystem::path& ram_file, std::uint64_t ram_size);
    ~GuestMemory();
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;

    std::uint64_t size() const { return size_; }
    // The bytes at guest-physical [gpa, gpa + n); throws std::out_of_range.
    binary::ByteView view(std::uint64_t gpa, std::size_t n) const;
    // Copies them into `out` (resized; its pages are touched first so the
    // copy itself does not fault: what runs while the guest is paused),
    // split over `threads` threads (a paused TCG guest leaves every core
    // to the host).
    void copy(std::uint64_t gpa, std::size_t n, binary::Bytes& out, unsigned threads = 1) const;
    // Maps the pages of [gpa, gpa + n) into this process by reading one byte
    // of each, so a later copy takes no page faults (4,700 of them for a
    // kernel's code, about a millisecond, would otherwise fall in the pause).
    std::uint8_t prefault(std::uint64_t gpa, std::size_t n) const;

    static constexpr std::uint64_t kMaxIdentityMapped = 0xB0000000;  // q35 lowmem limit

  private:
    const std::uint8_t* base_ = nullptr;
    std::uint64_t size_ = 0;
};

}  // namespace drtm::inspect
