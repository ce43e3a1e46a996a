// Every vCPU's CR0 and CR3 from QEMU's human monitor (`info registers -a`):
// the independent reading the e2e tests hold the gdbstub's values against.
#pragma once

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace testsupport {

struct HmpPaging {
    std::uint64_t cr0 = 0, cr3 = 0;
};

// Each value of `name` ("CR3=") in the dump, in order.
inline std::vector<std::uint64_t> hmp_register_values(std::string_view text,
                                                      std::string_view name) {
    std::vector<std::uint64_t> out;
    for (auto at = text.find(name); at != std::string_view::npos;
         at = text.find(name, at + name.size())) {
        const char* first = text.data() + at + name.size();
        std::uint64_t v = 0;
        const auto [end, error] = std::from_chars(first, text.data() + text.size(), v, 16);
        if (error != std::errc() || end == first)
            throw std::runtime_error("a bad " + std::string(name) + " in QEMU's register dump");
        out.push_back(v);
    }
    return out;
}

inline std::vector<HmpPaging> hmp_paging(std::string_view info_registers_all) {
    const auto cr0 = hmp_register_values(info_registers_all, "CR0=");
    const auto cr3 = hmp_register_values(info_registers_all, "CR3=");
    if (cr0.empty() || cr0.size() != cr3.size())
        throw std::runtime_error("QEMU's register dump has " + std::to_string(cr0.size()) +
                                 " CR0 and " + std::to_string(cr3.size()) + " CR3 values");
    std::vector<HmpPaging> out;
    for (std::size_t i = 0; i < cr0.size(); ++i) out.push_back({cr0[i], cr3[i]});
    return out;
}

}  // namespace testsupport
