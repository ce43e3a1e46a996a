#include "eventlog/event_text.hpp"

#include "eventlog/event_types.hpp"

namespace drtm::eventlog {

namespace {

bool printable(std::uint8_t c) {
    return (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\n' || c == '\r';
}

std::optional<std::string> ascii(binary::ByteView d) {
    std::size_t n = d.size();
    while (n > 0 && d[n - 1] == 0) --n;
    if (n == 0) return std::nullopt;
    for (std::size_t i = 0; i < n; ++i)
        if (!printable(d[i])) return std::nullopt;
    return std::string(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n));
}

std::optional<std::string> utf16(binary::ByteView d) {
    // Some firmware logs one byte of the NUL terminator short (an odd size).
    if (d.size() % 2 != 0 && d.back() == 0) d = d.first(d.size() - 1);
    if (d.size() < 2 || d.size() % 2 != 0) return std::nullopt;
    std::size_t units = d.size() / 2;
    while (units > 0 && d[2 * units - 2] == 0 && d[2 * units - 1] == 0) --units;
    if (units == 0) return std::nullopt;
    std::string out;
    out.reserve(units);
    for (std::size_t i = 0; i < units; ++i) {
        if (d[2 * i + 1] != 0 || !printable(d[2 * i])) return std::nullopt;
        out.push_back(static_cast<char>(d[2 * i]));
    }
    return out;
}

}  // namespace

std::optional<std::string> printable_text(binary::ByteView data) {
    if (auto s = ascii(data)) return s;
    return utf16(data);
}

std::string event_label(std::uint32_t type, binary::ByteView data) {
    auto text = printable_text(data);
    return text && !text->empty() ? *text : event_type_name(type);
}

}  // namespace drtm::eventlog
