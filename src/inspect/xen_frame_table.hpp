// Xen's frame table: one struct page_info per machine page frame, in which
// Xen records what the frame is used as (writable, an L1..L4 page table, a
// descriptor table), how many references of that type it holds, and which
// domain owns it. A 64-bit PV guest runs only on top-level tables (L4s)
// Xen has validated for it and holds a type reference to (every vCPU's
// CR3, scheduled or not, and every pinned table), so the frame table lists
// every page table dom0 can be running on — where the vCPU registers show
// only the ones on a CPU at the moment of the pause.
//
// Xen 4.17 on x86-64 without CONFIG_BIGMEM (Debian's build): frame_table
// at FRAMETABLE_VIRT_START (0xffff82e000000000, in Xen's top-level slot
// 261), indexed by the frame's PDX (its number with a hole of unused
// address bits squeezed out, pdx.h). struct page_info is 32 bytes:
//   +8  count_info  reference count (low 57 bits) and PGC_* flags and state
//   +16 type_info   PGT_* type (bits 63:61, an L4 is 4), PGT_validated
//                   (bit 58), type reference count (low 55 bits)
//   +24 _domain     owner, as the PDX of its struct domain in the directmap
// A layout other than this one gives another owner for the frames of
// dom0's kernel, which the inspector checks before it uses the list. Xen's
// data is not inspected itself: the list is worth what Xen is (inspect Xen
// with dom0, and trust dom0's result when Xen's is intact).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "inspect/guest_memory.hpp"

namespace drtm::inspect {

class XenGolden;

// Xen's variables the frame table is read by, as Xen holds them.
struct XenFrameTableVariables {
    std::uint64_t idle_pg_table = 0;  // guest-physical address of Xen's own top-level table
    std::uint64_t max_pdx = 0;        // entries in the frame table
    // pdx.h's conversion (all ones, 0 and 0 when nothing is squeezed out).
    std::uint64_t pfn_pdx_bottom_mask = ~0ull, pfn_top_mask = 0;
    unsigned pfn_pdx_hole_shift = 0;
    std::uint64_t hardware_domain = 0;  // dom0's struct domain, a directmap address
};

inline constexpr std::uint64_t kXenFrameTableStart = 0xffff82e000000000ull;
inline constexpr std::uint64_t kXenDirectMapStart = 0xffff830000000000ull;
inline constexpr std::uint64_t kXenPageInfoSize = 32;

class XenFrameTable {
  public:
    // Before the pause, from the located Xen (locate_xen): its variables
    // read at their link addresses through its own page tables. Throws
    // std::runtime_error naming what is missing or implausible.
    static XenFrameTable read(const XenGolden& xen, const GuestMemory& ram);
    // The same from the variables themselves (tests).
    static XenFrameTable from_variables(const XenFrameTableVariables& v, const GuestMemory& ram);

    // Reads every entry once, so the scan in the pause that follows takes
    // no page fault and finds the entries in the host's cache (4 MiB for
    // a 512 MiB guest: read cold, it is most of the scan's time).
    void warm(const GuestMemory& ram) const;
    // In the pause: the machine address of every L4 dom0 has in use (in
    // use, validated as an L4, with a type reference), ascending.
    std::vector<std::uint64_t> dom0_root_tables(const GuestMemory& ram) const;

    // The owner (as _domain holds it) Xen records for the frame holding
    // `machine_address`; empty when the frame table has no entry for it.
    // The inspector checks that dom0's kernel is dom0's before trusting
    // the layout: a frame dom0 cannot give away while it runs from it.
    std::optional<std::uint32_t> owner_of(const GuestMemory& ram,
                                          std::uint64_t machine_address) const;

    std::uint64_t frames() const;  // entries the scan reads
    std::uint32_t dom0_owner() const { return dom0_owner_; }

  private:
    struct Chunk {
        std::uint64_t first_pdx = 0, entries = 0, physical = 0;
    };
    std::vector<Chunk> chunks_;
    XenFrameTableVariables v_;
    std::uint32_t dom0_owner_ = 0;
};

}  // namespace drtm::inspect
