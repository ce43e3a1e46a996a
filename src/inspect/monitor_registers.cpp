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
std::uint64_t hex_field(std::string_view text, std::size_t& at, int cpu, const char* line,
                        const char* what) {
    while (at < text.size() && text[at] == ' ') ++at;
    std::uint64_t value = 0;
    const char* first = text.data() + at;
    const auto [end, error] = std::from_chars(first, text.data() + text.size(), value, 16);
    if (error != std::errc() || end == first)
        fail(cpu, std::string("the ") + line + " line's " + what + " is not a hex number");
    at = static_cast<std::size_t>(end - text.data());
    return value;
}

}  // namespace

std::vector<SystemRegisters> system_registers_from_dump(std::string_view dump,
                                                        std::span<const int> cpu_indexes) {
    std::vector<SystemRegisters> out;
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
        SystemRegisters registers;
        const auto idt = part.find("\nIDT=");
        if (idt == std::string_view::npos) fail(cpu, "no IDT= line");
        std::size_t field = idt + 5;
        registers.idtr.base = hex_field(part, field, cpu, "IDT", "base");
        const auto limit = hex_field(part, field, cpu, "IDT", "limit");
        if (limit > 0xffff) fail(cpu, "the IDT limit is wider than 16 bits");
        registers.idtr.limit = static_cast<std::uint32_t>(limit);
        const auto tr = part.find("\nTR =");
        if (tr == std::string_view::npos) fail(cpu, "no TR = line");
        field = tr + 5;
        const auto selector = hex_field(part, field, cpu, "TR", "selector");
        if (selector > 0xffff) fail(cpu, "the TR selector is wider than 16 bits");
        registers.tr.selector = static_cast<std::uint16_t>(selector);
        while (field < part.size() && part[field] == ' ') ++field;
        const auto base_start = field;
        registers.tr.base = hex_field(part, field, cpu, "TR", "base");
        registers.tr.base_low_half_only = field - base_start <= 8;
        const auto tr_limit = hex_field(part, field, cpu, "TR", "limit");
        if (tr_limit > 0xffffffff) fail(cpu, "the TR limit is wider than 32 bits");
        registers.tr.limit = static_cast<std::uint32_t>(tr_limit);
        // "CPL=0 II=0 A20=1 SMM=0 HLT=1", "EFER=0000000000000d01".
        auto optional_field = [&](std::string_view name,
                                  const char* label) -> std::optional<std::uint64_t> {
            const auto found = part.find(name);
            if (found == std::string_view::npos) return std::nullopt;
            std::size_t from = found + name.size();
            return hex_field(part, from, cpu, label, "value");
        };
        if (const auto cpl = optional_field(" CPL=", "CPL"))
            registers.state.cpl = unsigned(*cpl & 3);
        if (const auto hlt = optional_field(" HLT=", "HLT")) registers.state.halted = *hlt != 0;
        registers.state.efer = optional_field("\nEFER=", "EFER");
        out.push_back(registers);
        at = start + header.size();
    }
    return out;
}

}  // namespace drtm::inspect
