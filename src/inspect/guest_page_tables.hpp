// The guest's own view of its memory: an x86-64 4-level page-table walk
// over guest RAM, as the vCPU's MMU does it. The inspector uses it to bind
// the kernel it found by its bytes to the kernel the vCPU executes: every
// page of .text and .rodata must map onto the copy it compared. Without
// this, a guest could keep a clean image where the scan looks and run a
// modified one elsewhere.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "inspect/guest_memory.hpp"

namespace drtm::inspect {

struct Translation {
    std::uint64_t physical = 0;
    std::uint64_t page_size = 0;  // 4 KiB, 2 MiB or 1 GiB
};

// `cr3` as the vCPU holds it (PCID and flag bits are ignored). Empty when
// the address is not mapped or a table lies outside guest RAM.
std::optional<Translation> translate(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t va);

// `out.size()` bytes from `va` on, page by page, as the tables at `cr3`
// map them; false when a page is not mapped into guest RAM.
bool copy_virtual(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t va,
                  std::span<std::uint8_t> out);

// Empty when [va, va + size) maps contiguously onto [pa, pa + size); else
// the first address that does not, and where it goes.
std::string check_mapping(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t va,
                          std::uint64_t pa, std::uint64_t size);

// An image's sections at their virtual addresses, and where the copy of
// each was taken.
struct MappedRange {
    std::uint64_t va = 0, pa = 0, size = 0;
};

// Empty when every range maps onto its copy; else "<whose> (CR3 x): <first
// problem>". With `pti_pair` a CR3 with bit 12 set may be
// the user half of a Linux page-table-isolation pair: the kernel half (bit
// 12 clear) is checked when the user half does not map the ranges.
std::string check_mappings(const GuestMemory& ram, std::uint64_t cr3,
                           std::span<const MappedRange> ranges, bool pti_pair,
                           std::string_view whose = "the vCPU's page tables");

// A Xen PV guest's kernel (dom0 of a Xen guest), whose page tables hold
// machine addresses: QEMU's guest-physical ones. `kernel_root`, the
// kernel's own top-level table (init_top_pgt, whose kernel half every
// process's shares), must map every range onto its copy. A vCPU's `cr3`
// that maps any page of the ranges must too; one that maps none is running
// Xen on its own page tables, or the guest's user code on its user tables
// (a 64-bit PV guest's user mode runs on a second top-level table without
// the kernel), and none of this code.
struct PvMappingCheck {
    std::string problem;            // empty when both map the copy
    bool vcpu_maps_kernel = false;  // `cr3` maps some page of the ranges
};
PvMappingCheck check_pv_guest_mappings(const GuestMemory& ram, std::uint64_t kernel_root,
                                       std::uint64_t cr3, std::span<const MappedRange> ranges);

// Any other top-level table of the same PV guest (every one Xen has
// validated for it: xen_frame_table.hpp), which a vCPU Xen descheduled may
// hold. Empty when, in every top-level slot the ranges lie in, it points at
// the same next-level table as `kernel_root` (a process's tables share the
// kernel's half; `kernel_root` is checked on its own), or it maps no page
// of the ranges (a process's user-mode table), or it maps every range onto
// its copy; else "<whose> (at <root>): <first problem>".
std::string check_pv_root_table(const GuestMemory& ram, std::uint64_t kernel_root,
                                std::uint64_t root, std::span<const MappedRange> ranges,
                                std::string_view whose);

// A table a vCPU enters the kernel on (Xen's record of its kernel CR3):
// as check_pv_root_table, except that mapping no page of the ranges is a
// problem too (the kernel would run from elsewhere).
std::string check_pv_kernel_table(const GuestMemory& ram, std::uint64_t kernel_root,
                                  std::uint64_t root, std::span<const MappedRange> ranges,
                                  std::string_view whose);

// Every vCPU's CR3 and whether it has paging on (CR0.PG): a vCPU without
// paging (an application processor still waiting for its start-up IPI)
// runs no code through page tables. CR0 whole, for its write protection.
struct VcpuPaging {
    std::uint64_t cr3 = 0;
    bool paging = false;
    std::uint64_t cr0 = 0;
};

}  // namespace drtm::inspect
