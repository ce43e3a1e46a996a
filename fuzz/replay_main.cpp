// Runs a fuzz target over files and directories (recursively), for the tests
// that keep every corpus and crash-regression input passing in the normal
// and sanitizer builds. Exit 0 when every input ran; a crash is a crash.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::size_t run_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t runs = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path p = argv[i];
        std::error_code ec;
        if (std::filesystem::is_directory(p, ec)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(p))
                if (e.is_regular_file()) runs += run_file(e.path());
        } else if (std::filesystem::is_regular_file(p, ec)) {
            runs += run_file(p);
        } else {
            std::cerr << p << ": no such file or directory\n";
            return 2;
        }
    }
    std::cout << runs << " inputs ran\n";
    return 0;
}
