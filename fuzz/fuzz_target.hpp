// What every fuzz target shares. A target feeds untrusted bytes to one
// parser family exactly as drtm's commands do; a parser may reject the
// input with any std::exception (that is its job), but must not crash, leak,
// hit undefined behaviour or hang. The same target builds two ways: with
// libFuzzer (DRTM_FUZZ=ON, clang) for `make fuzz`, and with replay_main.cpp
// for the tests that re-run every corpus and regression input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "binary/bytes.hpp"

namespace drtm::fuzz {

inline binary::ByteView view(const std::uint8_t* data, std::size_t size) {
    return binary::ByteView(data, size);
}

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Runs `parse`; a rejection by exception is a correct outcome.
template <class F>
void rejecting_is_fine(F&& parse) {
    try {
        parse();
    } catch (const std::exception&) {
    }
}

}  // namespace drtm::fuzz
