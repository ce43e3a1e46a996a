// Guest RAM built by hand for the inspector's unit tests: words written
// where a test wants them, then saved to a file and mapped the way the
// inspector maps a running guest's RAM (inspect::GuestMemory). The file
// goes with the object.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "inspect/guest_memory.hpp"

namespace testsupport {

class GuestRamImage {
  public:
    explicit GuestRamImage(std::size_t size) : bytes_(size, 0) {}
    ~GuestRamImage() {
        memory_.reset();
        if (!file_.empty()) std::filesystem::remove(file_);
    }
    GuestRamImage(const GuestRamImage&) = delete;
    GuestRamImage& operator=(const GuestRamImage&) = delete;

    void put(std::uint64_t at, std::uint64_t v) { std::memcpy(&bytes_.at(at), &v, 8); }
    void put32(std::uint64_t at, std::uint32_t v) { std::memcpy(&bytes_.at(at), &v, 4); }
    std::vector<std::uint8_t>& bytes() { return bytes_; }

    // The bytes as they are now, saved and mapped (again on every call, so
    // a test may change them between reads).
    const drtm::inspect::GuestMemory& memory() {
        static std::atomic<unsigned> counter{0};
        memory_.reset();
        if (file_.empty())
            file_ =
                std::filesystem::temp_directory_path() /
                ("drtm-test-ram-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::ofstream(file_, std::ios::binary | std::ios::trunc)
            .write(reinterpret_cast<const char*>(bytes_.data()),
                   static_cast<std::streamsize>(bytes_.size()));
        memory_ = std::make_unique<drtm::inspect::GuestMemory>(file_, bytes_.size());
        return *memory_;
    }

  private:
    std::vector<std::uint8_t> bytes_;
    std::filesystem::path file_;
    std::unique_ptr<drtm::inspect::GuestMemory> memory_;
};

}  // namespace testsupport
