// A directory tree that stands in for a running machine under a root prefix:
// securityfs files, an `xl dmesg` transcript, and a sparse file as /dev/mem
// with bytes written at physical addresses.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace test {

inline std::filesystem::path real_logs_dir() {
    return std::filesystem::path(DRTM_TESTDATA_DIR) / "real-logs";
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return {std::istreambuf_iterator<char>(in), {}};
}

class FixtureTree {
  public:
    FixtureTree() {
        std::random_device rd;
        root_ = std::filesystem::temp_directory_path() /
                ("drtm-host-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(root_);
    }
    ~FixtureTree() {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    FixtureTree(const FixtureTree&) = delete;
    FixtureTree& operator=(const FixtureTree&) = delete;

    const std::filesystem::path& root() const { return root_; }

    void write(const std::string& absolute, const std::string& text) {
        write(absolute, std::vector<std::uint8_t>(text.begin(), text.end()));
    }
    void write(const std::string& absolute, const std::vector<std::uint8_t>& bytes) {
        auto p = root_ / absolute.substr(1);
        std::filesystem::create_directories(p.parent_path());
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
    }

    // Writes `bytes` at physical `address` of ROOT/dev/mem (a sparse file).
    void poke(std::uint64_t address, const std::vector<std::uint8_t>& bytes) {
        auto p = root_ / "dev/mem";
        std::filesystem::create_directories(p.parent_path());
        int fd = ::open(p.c_str(), O_WRONLY | O_CREAT, 0600);
        if (fd < 0) throw std::runtime_error("cannot open " + p.string());
        if (::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(address)) !=
            static_cast<ssize_t>(bytes.size()))
            throw std::runtime_error("short write to " + p.string());
        ::close(fd);
    }
    void poke64(std::uint64_t address, std::uint64_t value) {
        std::vector<std::uint8_t> b(8);
        for (int i = 0; i < 8; ++i)
            b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (8 * i));
        poke(address, b);
    }

    // The TXT heap of intel-secl's txt_heap_info.bin (a real server's heap) at
    // physical `base`, with TXT.HEAP.BASE / SIZE in the public space and
    // TXT.STS saying a measured launch is in effect.
    std::vector<std::uint8_t> install_intel_secl_heap(std::uint64_t base = 0x1000) {
        auto image = read_bytes(real_logs_dir() / "intel-secl/txt_heap_info.bin");
        std::vector<std::uint8_t> heap(image.begin() + 0x1000, image.begin() + 0x1000 + 0x100000);
        poke(base, heap);
        poke64(0xFED30000 + 0x000, 0x1);  // TXT.STS: SENTER.DONE
        poke64(0xFED30000 + 0x300, base);
        poke64(0xFED30000 + 0x308, heap.size());
        return heap;
    }

  private:
    std::filesystem::path root_;
};

// The log inside intel-secl's heap: heap offset 0x1014C, NextRecordOffset
// 0x6BA (real-logs README).
inline std::vector<std::uint8_t> intel_secl_heap_log() {
    auto image = read_bytes(real_logs_dir() / "intel-secl/txt_heap_info.bin");
    return {image.begin() + 0x1114C, image.begin() + 0x1114C + 0x6BA};
}

}  // namespace test
