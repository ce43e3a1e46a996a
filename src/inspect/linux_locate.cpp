#include "inspect/linux_locate.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>

#include "inspect/linux_inspector.hpp"

namespace drtm::inspect {

namespace {

constexpr std::uint64_t kKernelMap = 0xffffffff80000000ull;  // __START_KERNEL_map
constexpr std::uint64_t kAlign = 2ull << 20;                 // CONFIG_PHYSICAL_ALIGN
constexpr std::size_t kProbeBytes = 2 * 4096;                // the first pages of .text
constexpr std::size_t kMaxVoters = 4000;

template <typename T>
T load(const std::uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);  // x86 is little-endian, as the image
    return v;
}

template <typename T>
void store(std::uint8_t* p, T v) {
    std::memcpy(p, &v, sizeof v);
}

// Marks [va, va + len) inside [base, base + mask.size()).
void mark(std::vector<std::uint8_t>& mask, std::uint64_t base, std::uint64_t va, std::size_t len) {
    for (std::size_t i = 0; i < len; ++i)
        if (va + i >= base && va + i - base < mask.size()) mask[va + i - base] = 1;
}

}  // namespace

LinuxPlacement locate_linux(const LinuxGolden& golden, const GuestMemory& ram) {
    const auto& elf = golden.elf();
    const auto* text = elf.section(".text");
    if (!text) throw std::runtime_error("the golden kernel has no .text");
    const auto& relocs = golden.relocations();
    const auto golden_text = elf.contents(*text);
    const std::size_t probe = std::min<std::size_t>(kProbeBytes, golden_text.size());

    // Bytes of the first pages that neither KASLR nor the kernel's patching change.
    std::vector<std::uint8_t> volatile_byte(probe, 0);
    for (auto va : relocs.rel32) mark(volatile_byte, text->addr, va, 4);
    for (auto va : relocs.inverse32) mark(volatile_byte, text->addr, va, 4);
    for (auto va : relocs.rel64) mark(volatile_byte, text->addr, va, 8);
    for (const auto& s : golden.sites())
        if (s.address < text->addr + probe) mark(volatile_byte, text->addr, s.address, s.length);
    std::vector<std::size_t> stable;
    for (std::size_t i = 0; i < probe; ++i)
        if (!volatile_byte[i]) stable.push_back(i);
    if (stable.size() < 256)
        throw std::runtime_error("the golden .text has too few stable bytes to locate it");

    const std::uint64_t limit = std::min(ram.size(), GuestMemory::kMaxIdentityMapped);
    auto matches = [&](std::uint64_t pa) {
        if (pa + golden_text.size() > limit) return false;
        const auto mem = ram.view(pa, probe);
        return std::all_of(stable.begin(), stable.end(),
                           [&](std::size_t i) { return mem[i] == golden_text[i]; });
    };
    LinuxPlacement p;
    const std::uint64_t link_pa = text->addr - kKernelMap;
    std::vector<std::uint64_t> found;
    if (matches(link_pa)) {
        found.push_back(link_pa);
    } else {
        for (std::uint64_t pa = 0; pa + golden_text.size() <= limit; pa += kAlign)
            if (matches(pa)) found.push_back(pa);
    }
    if (found.empty())
        throw std::runtime_error(
            "the golden kernel's .text is at no 2 MiB-aligned guest-physical address: the guest "
            "runs another kernel");
    if (found.size() > 1)
        throw std::runtime_error("the golden kernel's .text matches at " +
                                 std::to_string(found.size()) +
                                 " guest-physical addresses (first " +
                                 binary::hex_number(found[0]) + "); refusing to guess");
    p.text_physical = found[0];

    // The virtual offset, voted by the 32-bit relocation fields of .text.
    if (relocs.rel32.empty()) return p;  // not relocatable: at its link address
    std::vector<std::uint8_t> in_site(golden_text.size(), 0);
    for (const auto& s : golden.sites()) mark(in_site, text->addr, s.address, s.length);
    const auto mem = ram.view(p.text_physical, golden_text.size());
    std::map<std::int64_t, std::size_t> votes;
    for (auto va : relocs.rel32) {
        if (p.delta_voters == kMaxVoters) break;
        if (va < text->addr || va + 4 > text->addr + golden_text.size()) continue;
        const std::size_t off = va - text->addr;
        if (in_site[off] || in_site[off + 3]) continue;
        const auto d = static_cast<std::int32_t>(load<std::uint32_t>(mem.data() + off) -
                                                 load<std::uint32_t>(golden_text.data() + off));
        ++votes[d];
        ++p.delta_voters;
    }
    if (votes.empty()) throw std::runtime_error("no relocation field of .text to vote on");
    const auto best = std::max_element(votes.begin(), votes.end(),
                                       [](auto& a, auto& b) { return a.second < b.second; });
    p.virtual_delta = best->first;
    p.delta_votes = best->second;
    if (2 * p.delta_votes <= p.delta_voters ||
        static_cast<std::uint64_t>(p.virtual_delta) % kAlign != 0)
        throw std::runtime_error("no consistent KASLR offset: " + std::to_string(p.delta_votes) +
                                 " of " + std::to_string(p.delta_voters) +
                                 " relocation fields agree on " + std::to_string(p.virtual_delta));
    return p;
}

void undo_relocations(binary::Bytes& copy, std::uint64_t va, std::int64_t delta,
                      const image::X86Relocations& relocs) {
    if (delta == 0) return;
    auto field = [&](std::uint64_t at, std::size_t len) -> std::uint8_t* {
        if (at < va || at - va + len > copy.size()) return nullptr;
        return copy.data() + (at - va);
    };
    const auto d32 = static_cast<std::uint32_t>(delta);
    for (auto at : relocs.rel32)
        if (auto* p = field(at, 4)) store<std::uint32_t>(p, load<std::uint32_t>(p) - d32);
    for (auto at : relocs.inverse32)
        if (auto* p = field(at, 4)) store<std::uint32_t>(p, load<std::uint32_t>(p) + d32);
    for (auto at : relocs.rel64)
        if (auto* p = field(at, 8))
            store<std::uint64_t>(p, load<std::uint64_t>(p) - static_cast<std::uint64_t>(delta));
}

}  // namespace drtm::inspect
