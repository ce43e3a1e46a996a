#include "inspect/monitor_registers.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace drtm::inspect {

namespace {

[[noreturn]] void fail(int cpu, const std::string& why) {
    throw std::runtime_error("QEMU's register dump, vCPU " + std::to_string(cpu) + ": " + why);
}

// A hex number after optional spaces; advances `at` past it.
std::uint64_t hex_field(std::string_view text, std::size_t& at, int cpu, const char* what) {
    while (at < text.size() && text[at] == ' ') ++at;
    std::uint64_t value = 0;
    const char* first = text.data() + at;
    const auto [end, error] = std::from_chars(first, text.data() + text.size(), value, 16);
    if (error != std::errc() || end == first)
        fail(cpu, std::string("the IDT line's ") + what + " is not a hex number");
    at = static_cast<std::size_t>(end - text.data());
    return value;
}

}  // namespace

std::vector<DescriptorTableRegister> idtrs_from_register_dump(std::string_view dump,
                                                              std::span<const int> cpu_indexes) {
    std::vector<DescriptorTableRegister> out;
    std::size_t at = 0;
    for (int cpu : cpu_indexes) {
        // Lines end in "\r\n" (the monitor's own line ends).
        const std::string header = "CPU#" + std::to_string(cpu);
        auto start = dump.find(header, at);
        while (start != std::string_view::npos && start + header.size() < dump.size() &&
               dump[start + header.size()] != '\r' && dump[start + header.size()] != '\n')
            start = dump.find(header, start + 1);  // CPU#1 is not CPU#10
        if (start == std::string_view::npos || start + header.size() >= dump.size())
            fail(cpu, at == 0 ? "not in the dump" : "not in the dump after the vCPU before it");
        const auto next = dump.find("CPU#", start + header.size());
        const auto part =
            dump.substr(start, next == std::string_view::npos ? dump.npos : next - start);
        const auto line = part.find("\nIDT=");
        if (line == std::string_view::npos) fail(cpu, "no IDT= line");
        std::size_t field = line + 5;
        DescriptorTableRegister idtr;
        idtr.base = hex_field(part, field, cpu, "base");
        const auto limit = hex_field(part, field, cpu, "limit");
        if (limit > 0xffff) fail(cpu, "the IDT limit is wider than 16 bits");
        idtr.limit = static_cast<std::uint32_t>(limit);
        out.push_back(idtr);
        at = start + header.size();
    }
    return out;
}

}  // namespace drtm::inspect
