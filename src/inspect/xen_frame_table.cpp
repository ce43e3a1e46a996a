#include "inspect/xen_frame_table.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "binary/bytes.hpp"
#include "inspect/guest_page_tables.hpp"
#include "inspect/xen_virtual_memory.hpp"

namespace drtm::inspect {

namespace {

// count_info: the page's reference count (its state, bits 59:58, aside).
constexpr std::uint64_t kPgcCountMask = (1ull << 57) - 1;
// type_info.
constexpr std::uint64_t kPgtTypeMask = 7ull << 61;
constexpr std::uint64_t kPgtL4PageTable = 4ull << 61;
constexpr std::uint64_t kPgtValidated = 1ull << 58;
constexpr std::uint64_t kPgtCountMask = (1ull << 55) - 1;
constexpr std::uint64_t kFrameTableSize = 128ull << 30;  // FRAMETABLE_SIZE

// Where XenFrameTable::warm leaves what it read, so the reads are kept.
volatile std::uint64_t warm_sum = 0;

std::uint64_t load64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

}  // namespace

XenFrameTable XenFrameTable::read(const XenGolden& xen, const GuestMemory& ram) {
    const auto memory = XenVirtualMemory::locate(xen, ram);
    XenFrameTableVariables v;
    v.idle_pg_table = memory.idle_pg_table();
    v.max_pdx = memory.variable(xen, ram, "max_pdx", 8);
    v.pfn_pdx_bottom_mask = memory.variable(xen, ram, "pfn_pdx_bottom_mask", 8);
    v.pfn_top_mask = memory.variable(xen, ram, "pfn_top_mask", 8);
    v.pfn_pdx_hole_shift =
        static_cast<unsigned>(memory.variable(xen, ram, "pfn_pdx_hole_shift", 4));
    v.hardware_domain = memory.variable(xen, ram, "hardware_domain", 8);
    return from_variables(v, ram);
}

XenFrameTable XenFrameTable::from_variables(const XenFrameTableVariables& v,
                                            const GuestMemory& ram) {
    if (v.max_pdx == 0 || v.max_pdx > kFrameTableSize / kXenPageInfoSize)
        throw std::runtime_error("Xen's max_pdx (" + std::to_string(v.max_pdx) +
                                 ") is not the size of a frame table");
    if (v.pfn_pdx_hole_shift >= 64)
        throw std::runtime_error("Xen's pfn_pdx_hole_shift (" +
                                 std::to_string(v.pfn_pdx_hole_shift) + ") is not a shift");
    if (v.hardware_domain == 0) throw std::runtime_error("Xen has no hardware domain (dom0) yet");
    const std::uint64_t owner =
        v.hardware_domain < kXenDirectMapStart ? 0 : (v.hardware_domain - kXenDirectMapStart) >> 12;
    if (owner == 0 || owner > 0xFFFFFFFFull)
        throw std::runtime_error("Xen's hardware_domain (" + binary::hex_number(v.hardware_domain) +
                                 ") is not an address in its directmap");
    XenFrameTable t;
    t.v_ = v;
    t.dom0_owner_ = static_cast<std::uint32_t>(owner);
    // Where the entries lie: the frame table is mapped in 2 MiB or 4 KiB
    // pages, with holes where no memory is (pdx_group_valid).
    const std::uint64_t end = kXenFrameTableStart + v.max_pdx * kXenPageInfoSize;
    for (std::uint64_t va = kXenFrameTableStart; va < end;) {
        const auto m = translate(ram, v.idle_pg_table, va);
        const std::uint64_t page = m ? m->page_size : 4096;
        const std::uint64_t next = std::min(end, (va & ~(page - 1)) + page);
        if (m) {
            const std::uint64_t bytes = next - va;
            if (m->physical > ram.size() || ram.size() - m->physical < bytes)
                throw std::runtime_error("Xen's frame table at " + binary::hex_number(va) +
                                         " maps outside guest RAM (" +
                                         binary::hex_number(m->physical) + ")");
            const std::uint64_t pdx = (va - kXenFrameTableStart) / kXenPageInfoSize;
            auto& last = t.chunks_;
            if (!last.empty() && last.back().first_pdx + last.back().entries == pdx &&
                last.back().physical + last.back().entries * kXenPageInfoSize == m->physical)
                last.back().entries += bytes / kXenPageInfoSize;
            else
                last.push_back({pdx, bytes / kXenPageInfoSize, m->physical});
        }
        va = next;
    }
    if (t.chunks_.empty())
        throw std::runtime_error("Xen's idle_pg_table maps no frame table at " +
                                 binary::hex_number(kXenFrameTableStart));
    return t;
}

void XenFrameTable::warm(const GuestMemory& ram) const {
    std::uint64_t sum = 0;
    for (const auto& c : chunks_) {
        const auto entries = ram.view(c.physical, c.entries * kXenPageInfoSize);
        for (std::uint64_t i = 0; i < c.entries; ++i)
            sum += load64(entries.data() + i * kXenPageInfoSize + 16);
    }
    warm_sum = sum;
}

std::uint64_t XenFrameTable::frames() const {
    std::uint64_t n = 0;
    for (const auto& c : chunks_) n += c.entries;
    return n;
}

std::optional<std::uint32_t> XenFrameTable::owner_of(const GuestMemory& ram,
                                                     std::uint64_t machine_address) const {
    const std::uint64_t pfn = machine_address >> 12;
    const std::uint64_t pdx =
        (pfn & v_.pfn_pdx_bottom_mask) | ((pfn & v_.pfn_top_mask) >> v_.pfn_pdx_hole_shift);
    for (const auto& c : chunks_)
        if (pdx >= c.first_pdx && pdx - c.first_pdx < c.entries) {
            std::uint32_t owner;
            std::memcpy(
                &owner,
                ram.view(c.physical + (pdx - c.first_pdx) * kXenPageInfoSize + 24, 4).data(), 4);
            return owner;
        }
    return std::nullopt;
}

std::vector<std::uint64_t> XenFrameTable::dom0_root_tables(const GuestMemory& ram) const {
    std::vector<std::uint64_t> roots;
    for (const auto& c : chunks_) {
        const auto entries = ram.view(c.physical, c.entries * kXenPageInfoSize);
        for (std::uint64_t i = 0; i < c.entries; ++i) {
            const std::uint8_t* e = entries.data() + i * kXenPageInfoSize;
            const std::uint64_t type_info = load64(e + 16);
            if ((type_info & kPgtTypeMask) != kPgtL4PageTable || !(type_info & kPgtValidated) ||
                (type_info & kPgtCountMask) == 0)
                continue;
            // Any state but free: a page dom0 asked Xen to take offline
            // stays in use (PGC_state_offlining) until freed.
            if ((load64(e + 8) & kPgcCountMask) == 0) continue;
            std::uint32_t owner;
            std::memcpy(&owner, e + 24, 4);
            if (owner != dom0_owner_) continue;
            const std::uint64_t pdx = c.first_pdx + i;
            const std::uint64_t pfn =
                (pdx & v_.pfn_pdx_bottom_mask) | ((pdx << v_.pfn_pdx_hole_shift) & v_.pfn_top_mask);
            roots.push_back(pfn << 12);
        }
    }
    return roots;
}

}  // namespace drtm::inspect
