#include "inspect/guest_page_tables.hpp"

#include <algorithm>
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

// The MMU's walk; when `va` is not mapped, how much is not: the span the
// missing entry would have mapped (512 GiB, 1 GiB, 2 MiB or 4 KiB).
struct Walk {
    std::optional<Translation> mapped;
    std::uint64_t unmapped_span = 0;
};

Walk walk(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t va) {
    auto pml4e = entry(ram, cr3 & kAddressMask, (va >> 39) & 511);
    if (!pml4e) return {std::nullopt, 1ull << 39};
    auto pdpte = entry(ram, *pml4e & kAddressMask, (va >> 30) & 511);
    if (!pdpte) return {std::nullopt, 1ull << 30};
    if (*pdpte & kLargePage)
        return {Translation{(*pdpte & kAddressMask & ~0x3FFFFFFFull) | (va & 0x3FFFFFFFull),
                            1ull << 30}};
    auto pde = entry(ram, *pdpte & kAddressMask, (va >> 21) & 511);
    if (!pde) return {std::nullopt, 1ull << 21};
    if (*pde & kLargePage)
        return {Translation{(*pde & kAddressMask & ~0x1FFFFFull) | (va & 0x1FFFFFull), 1ull << 21}};
    auto pte = entry(ram, *pde & kAddressMask, (va >> 12) & 511);
    if (!pte) return {std::nullopt, 1ull << 12};
    return {Translation{(*pte & kAddressMask) | (va & 0xFFFull), 1ull << 12}};
}

std::string first_mapping_problem(const GuestMemory& ram, std::uint64_t root,
                                  std::span<const MappedRange> ranges) {
    for (const auto& r : ranges)
        if (auto problem = check_mapping(ram, root, r.va, r.pa, r.size); !problem.empty())
            return problem;
    return "";
}

// Whether `root` maps any page of the ranges. Every page, not only the
// first: tables that left one page unmapped and mapped the rest elsewhere
// must not pass for tables mapping none of them.
bool maps_any_page(const GuestMemory& ram, std::uint64_t root,
                   std::span<const MappedRange> ranges) {
    for (const auto& r : ranges)
        for (std::uint64_t off = 0; off < r.size;) {
            const auto w = walk(ram, root, r.va + off);
            if (w.mapped) return true;
            // Past what the missing entry covers: a user-mode table's
            // kernel slot maps only the vsyscall page, so this is one
            // step per 1 GiB, not one per 4 KiB page.
            off += w.unmapped_span - ((r.va + off) & (w.unmapped_span - 1));
        }
    return false;
}

// Whether `root` points where `kernel_root` does in every top-level slot
// the ranges lie in (the accessed and dirty bits aside, which the MMU sets
// on its own).
bool shares_top_level_slots(const GuestMemory& ram, std::uint64_t kernel_root, std::uint64_t root,
                            std::span<const MappedRange> ranges) {
    for (const auto& r : ranges) {
        if (r.size == 0) continue;
        const std::uint64_t last = ((r.va + r.size - 1) >> 39) & 511;
        for (std::uint64_t slot = (r.va >> 39) & 511; slot <= last; ++slot) {
            const auto ours = entry(ram, kernel_root & kAddressMask, static_cast<unsigned>(slot));
            const auto theirs = entry(ram, root & kAddressMask, static_cast<unsigned>(slot));
            if (!ours || !theirs || (*ours & kAddressMask) != (*theirs & kAddressMask))
                return false;
        }
    }
    return true;
}

std::string check_pv_table(const GuestMemory& ram, std::uint64_t kernel_root, std::uint64_t root,
                           std::span<const MappedRange> ranges, std::string_view whose,
                           bool may_map_none) {
    const std::string at = std::string(whose) + " (at " + binary::hex_number(root) + ")";
    if (root >= ram.size() || ram.size() - root < 4096)
        return at + " lies outside the guest RAM the inspector reads";
    if (shares_top_level_slots(ram, kernel_root, root, ranges)) return "";
    if (!maps_any_page(ram, root, ranges))
        return may_map_none ? "" : at + " maps no page of the kernel's code";
    const auto problem = first_mapping_problem(ram, root, ranges);
    return problem.empty() ? problem : at + ": " + problem;
}

}  // namespace

std::optional<Translation> translate(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t va) {
    return walk(ram, cr3, va).mapped;
}

bool copy_virtual(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t va,
                  std::span<std::uint8_t> out) {
    for (std::size_t done = 0; done < out.size();) {
        const auto t = translate(ram, cr3, va + done);
        const std::size_t n =
            std::min<std::size_t>(out.size() - done, 4096 - ((va + done) & 0xFFF));
        if (!t || t->physical > ram.size() || ram.size() - t->physical < n) return false;
        std::memcpy(out.data() + done, ram.view(t->physical, n).data(), n);
        done += n;
    }
    return true;
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

std::string check_mappings(const GuestMemory& ram, std::uint64_t cr3,
                           std::span<const MappedRange> ranges, bool pti_pair,
                           std::string_view whose) {
    auto problem = first_mapping_problem(ram, cr3, ranges);
    if (problem.empty() || (pti_pair && (cr3 & 0x1000) &&
                            first_mapping_problem(ram, cr3 & ~0x1000ull, ranges).empty()))
        return "";
    return std::string(whose) + " (CR3 " + binary::hex_number(cr3) + "): " + problem;
}

PvMappingCheck check_pv_guest_mappings(const GuestMemory& ram, std::uint64_t kernel_root,
                                       std::uint64_t cr3, std::span<const MappedRange> ranges) {
    PvMappingCheck out;
    out.problem = check_mappings(ram, kernel_root, ranges, /*pti_pair=*/false,
                                 "the kernel's own page tables, init_top_pgt");
    if (!out.problem.empty()) return out;
    out.vcpu_maps_kernel = maps_any_page(ram, cr3, ranges);
    if (out.vcpu_maps_kernel) out.problem = check_mappings(ram, cr3, ranges, /*pti_pair=*/false);
    return out;
}

std::string check_pv_root_table(const GuestMemory& ram, std::uint64_t kernel_root,
                                std::uint64_t root, std::span<const MappedRange> ranges,
                                std::string_view whose) {
    return check_pv_table(ram, kernel_root, root, ranges, whose, /*may_map_none=*/true);
}

std::string check_pv_kernel_table(const GuestMemory& ram, std::uint64_t kernel_root,
                                  std::uint64_t root, std::span<const MappedRange> ranges,
                                  std::string_view whose) {
    return check_pv_table(ram, kernel_root, root, ranges, whose, /*may_map_none=*/false);
}

}  // namespace drtm::inspect
