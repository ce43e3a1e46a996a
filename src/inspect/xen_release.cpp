#include "inspect/xen_release.hpp"

#include <cctype>
#include <cstring>
#include <stdexcept>

namespace drtm::inspect {

namespace {

constexpr std::uint8_t kEndbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
constexpr std::size_t kLongestExtra = 64;  // XEN_EXTRAVERSION is a few characters

// The function's first instruction after an endbr64 (a CET-IBT build's
// landing pad), `length` bytes.
binary::ByteView first_instruction(
    const image::KernelSymbols& symbols,
    const std::function<binary::ByteView(std::uint64_t, std::size_t)>& bytes_at, const char* name,
    std::size_t length, std::uint64_t& at) {
    const auto start = symbols.address(name);
    if (!start) throw std::runtime_error(std::string("the golden Xen has no ") + name);
    at = *start;
    auto code = bytes_at(at, sizeof kEndbr64 + length);
    if (std::memcmp(code.data(), kEndbr64, sizeof kEndbr64) == 0) {
        at += sizeof kEndbr64;
        return code.subspan(sizeof kEndbr64, length);
    }
    return code.first(length);
}

std::uint32_t le32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
           std::uint32_t(p[3]) << 24;
}

unsigned returned_constant(
    const image::KernelSymbols& symbols,
    const std::function<binary::ByteView(std::uint64_t, std::size_t)>& bytes_at, const char* name) {
    std::uint64_t at = 0;
    const auto mov = first_instruction(symbols, bytes_at, name, 5, at);
    if (mov[0] != 0xb8)
        throw std::runtime_error(std::string("the golden Xen's ") + name +
                                 " does not start with mov $imm32, %eax");
    return le32(mov.data() + 1);
}

}  // namespace

std::optional<unsigned> XenRelease::patch() const {
    if (extra.size() < 2 || extra[0] != '.') return std::nullopt;
    unsigned n = 0;
    for (std::size_t i = 1; i < extra.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(extra[i]))) return std::nullopt;
        if (n > 100000) return std::nullopt;
        n = n * 10 + static_cast<unsigned>(extra[i] - '0');
    }
    return n;
}

XenRelease xen_release(
    const image::KernelSymbols& symbols,
    const std::function<binary::ByteView(std::uint64_t, std::size_t)>& bytes_at) {
    XenRelease r;
    r.major = returned_constant(symbols, bytes_at, "xen_major_version");
    r.minor = returned_constant(symbols, bytes_at, "xen_minor_version");
    std::uint64_t at = 0;
    const auto lea = first_instruction(symbols, bytes_at, "xen_extra_version", 7, at);
    if (lea[0] != 0x48 || lea[1] != 0x8d || lea[2] != 0x05)
        throw std::runtime_error(
            "the golden Xen's xen_extra_version does not start with lea rel32(%rip), %rax");
    const std::uint64_t string = at + 7 +
                                 static_cast<std::uint64_t>(static_cast<std::int64_t>(
                                     static_cast<std::int32_t>(le32(lea.data() + 3))));
    for (std::size_t i = 0;; ++i) {
        if (i == kLongestExtra)
            throw std::runtime_error("the golden Xen's extra version string has no end within " +
                                     std::to_string(kLongestExtra) + " bytes");
        const auto c = bytes_at(string + i, 1)[0];
        if (c == 0) break;
        if (!std::isprint(c))
            throw std::runtime_error("the golden Xen's extra version string holds byte " +
                                     binary::hex_number(c));
        r.extra.push_back(static_cast<char>(c));
    }
    return r;
}

}  // namespace drtm::inspect
