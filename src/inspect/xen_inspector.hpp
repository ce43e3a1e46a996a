// One inspection of a running Xen hypervisor (reference/runtime-inspection.md
// §5): found in guest-physical memory, paused only for the copy of its
// .text and .rodata, compared with the golden xen-syms (every difference
// must be an alternative site holding a form Xen's own patching writes;
// .rodata without the ro_after_init window).
//
// Xen is linked at a fixed virtual address and moves itself physically at
// boot (below 4 GiB, to the highest 2 MiB-aligned place its image fits):
//   1. scan the 2 MiB-aligned guest-physical addresses for the first bytes
//      of the golden .text (_start, which nothing patches);
//   2. accept a candidate only if Xen's own `xen_phys_start` variable, read
//      at that placement, says Xen is there (a stale copy says otherwise);
//   3. in the pause, the vCPU's page tables must map .text and .rodata at
//      their link addresses onto the copy (a PV dom0's tables carry Xen's
//      slots, so whichever CR3 the vCPU holds will do).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "inspect/code_inspection.hpp"
#include "inspect/golden_code.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/paused_copy.hpp"

namespace drtm::inspect {

// Xen's image starts 2 MiB below _start (XEN_IMG_OFFSET in xen.lds.S);
// xen_phys_start is the physical address of that start.
inline constexpr std::uint64_t kXenImageOffset = 2u << 20;

// The golden hypervisor: xen-syms from the -dbg package (the ELF64 with
// symbols; xen.gz is its stripped loader image).
class XenGolden : public GoldenCode {
  public:
    static std::unique_ptr<XenGolden> from_xen_syms(binary::ByteView xen_syms);
    std::string inspection_rules() const override { return "xen"; }
    // XEN_VIRT_START: the virtual address xen_phys_start maps to.
    std::uint64_t virtual_start() const { return elf_.section(".text")->addr - kXenImageOffset; }
    // Link addresses of the function pointers behind altcall sites, in
    // memory Xen keeps after boot (sorted, unique).
    const std::vector<std::uint64_t>& altcall_pointers() const { return altcall_pointers_; }

  private:
    XenGolden() = default;
    void find_altcall_pointers();
    std::vector<std::uint64_t> altcall_pointers_;
};

struct XenPlacement {
    std::uint64_t text_physical = 0;
    std::uint64_t xen_phys_start = 0;  // as Xen's own variable holds it
    std::size_t candidates = 0;        // 2 MiB slots starting like the golden .text
};

// Throws std::runtime_error saying what was not found.
XenPlacement locate_xen(const XenGolden& golden, const GuestMemory& ram);

struct XenInspection : CodeInspection {
    XenPlacement placement;
};

XenInspection inspect_xen(const XenGolden& golden, const GuestMemory& ram,
                          const GuestControl& guest);

nlohmann::json to_json(const XenInspection& result, const XenGolden& golden);

}  // namespace drtm::inspect
