#include "inspect/guest_page_tables.hpp"

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::inspect {

namespace {

constexpr std::uint64_t kPresent = 1ull << 0;
constexpr std::uint64_t kLargePage = 1ull << 7;  // PS in a PDPTE or PDE
constexpr std::uint64_t kAddressMask = 0x000FFFFFFFFFF000ull;

std::optional<std::uint64_t> entry(const GuestMemory& ram, std::uint64_t table, unsigned index) {
    const std::uint64_t at = table + 8ull * index;
    if (at > ram.size() || ram.size() - at < 8 || at + 8 > GuestMemory::kMaxIdentityMapped)
        return std::nullopt;
    std::uint64_t e;
    std::memcpy(&e, ram.view(at, 8).data(), 8);
    if (!(e & kPresent)) return std::nullopt;
    return e;
}

}  // namespace

std::optional<Translation> translate(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t va) {
    auto pml4e = entry(ram, cr3 & kAddressMask, (va >> 39) & 511);
    if (!pml4e) return std::nullopt;
    auto pdpte = entry(ram, *pml4e & kAddressMask, (va >> 30) & 511);
    if (!pdpte) return std::nullopt;
    if (*pdpte & kLargePage)
        return Translation{(*pdpte & kAddressMask & ~0x3FFFFFFFull) | (va & 0x3FFFFFFFull),
                           1ull << 30};
    auto pde = entry(ram, *pdpte & kAddressMask, (va >> 21) & 511);
    if (!pde) return std::nullopt;
    if (*pde & kLargePage)
        return Translation{(*pde & kAddressMask & ~0x1FFFFFull) | (va & 0x1FFFFFull), 1ull << 21};
    auto pte = entry(ram, *pde & kAddressMask, (va >> 12) & 511);
    if (!pte) return std::nullopt;
    return Translation{(*pte & kAddressMask) | (va & 0xFFFull), 1ull << 12};
}

std::string check_mapping(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t va,
                          std::uint64_t pa, std::uint64_t size) {
    for (std::uint64_t off = 0; off < size;) {
        const auto t = translate(ram, cr3, va + off);
        if (!t) return binary::hex_number(va + off) + " is not mapped";
        if (t->physical != pa + off)
            return binary::hex_number(va + off) + " maps to physical " +
                   binary::hex_number(t->physical) + ", not to the inspected copy at " +
                   binary::hex_number(pa + off);
        // The rest of this page maps contiguously with it.
        off += t->page_size - ((va + off) & (t->page_size - 1));
    }
    return "";
}

namespace {

// Every value of `name` ("CR3=") in the dump, in order.
std::vector<std::uint64_t> register_values(std::string_view text, std::string_view name) {
    std::vector<std::uint64_t> out;
    for (auto at = text.find(name); at != std::string_view::npos;
         at = text.find(name, at + name.size())) {
        const char* first = text.data() + at + name.size();
        const char* last = text.data() + text.size();
        std::uint64_t v = 0;
        const auto [end, error] = std::from_chars(first, last, v, 16);
        if (error != std::errc() || end == first)
            throw std::runtime_error("QEMU's register dump has a bad " +
                                     std::string(name.substr(0, name.size() - 1)));
        out.push_back(v);
    }
    return out;
}

}  // namespace

std::vector<std::uint64_t> parse_all_cr3(std::string_view text) {
    auto out = register_values(text, "CR3=");
    if (out.empty()) throw std::runtime_error("QEMU's register dump has no CR3");
    return out;
}

std::vector<VcpuPaging> parse_vcpu_paging(std::string_view text) {
    const auto cr0 = register_values(text, "CR0=");
    const auto cr3 = parse_all_cr3(text);
    if (cr0.size() != cr3.size())
        throw std::runtime_error("QEMU's register dump has " + std::to_string(cr0.size()) +
                                 " CR0 but " + std::to_string(cr3.size()) + " CR3 values");
    std::vector<VcpuPaging> out;
    for (std::size_t i = 0; i < cr3.size(); ++i)
        out.push_back({cr3[i], (cr0[i] & 0x80000000u) != 0});
    return out;
}

std::uint64_t parse_cr3(std::string_view text) {
    return parse_all_cr3(text).front();
}

std::string check_mappings(const GuestMemory& ram, std::uint64_t cr3,
                           std::span<const MappedRange> ranges, bool pti_pair) {
    auto check = [&](std::uint64_t root) {
        for (const auto& r : ranges)
            if (auto problem = check_mapping(ram, root, r.va, r.pa, r.size); !problem.empty())
                return problem;
        return std::string();
    };
    auto problem = check(cr3);
    if (problem.empty() || (pti_pair && (cr3 & 0x1000) && check(cr3 & ~0x1000ull).empty()))
        return "";
    return "the vCPU's page tables (CR3 " + binary::hex_number(cr3) + "): " + problem;
}

}  // namespace drtm::inspect
