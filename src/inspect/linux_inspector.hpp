// One inspection of a running Linux guest: pause it, copy its kernel's
// .text and .rodata out of guest RAM, resume it, then compare the copy with
// the golden image (patch sites from the golden image's own tables; the
// ro_after_init window of .rodata, which the kernel writes at boot, left
// out). The guest is paused only for the copy.
//
// Located anywhere in guest RAM, KASLR included (linux_locate.hpp): the
// relocations the decompressor applied are undone in the copy. The pv_ops
// slots behind the paravirt sites are read in the pause too.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "image/x86_relocs.hpp"
#include "inspect/code_inspection.hpp"
#include "inspect/golden_code.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/linux_idt.hpp"
#include "inspect/linux_locate.hpp"
#include "inspect/paused_copy.hpp"
#include "inspect/xen_frame_table.hpp"
#include "inspect/xen_vcpus.hpp"

namespace drtm::inspect {

// What the kernel runs on, which decides what its boot writes into its own
// code: natively (or in an HVM guest), or as a Xen PV guest (dom0 of a Xen
// guest), whose start-up also aims the jmp at early_xen_iret_patch at
// xen_iret, and whose page tables hold machine addresses Xen validated.
enum class LinuxPlatform { native, xen_pv };
const char* platform_name(LinuxPlatform platform);

// Why a kernel whose `xen_domain_type` (Linux's own record of how Xen
// runs it: 0 natively, 1 as a PV guest, 2 as an HVM or PVH guest) holds
// this value cannot be held to `platform`'s rules; empty when it can. A
// PV golden needs a PV boot: a PVH dom0 patches itself otherwise, and
// would be reported modified for it. A native golden takes any value (a
// PV boot then shows as its jmp at early_xen_iret_patch).
std::string platform_mismatch(LinuxPlatform platform, std::uint32_t xen_domain_type);

// The golden kernel: its ELF (from the bzImage), symbols (kallsyms), patch
// sites, and its relocations (to undo KASLR), as booted on `platform`.
class LinuxGolden : public GoldenCode {
  public:
    static std::unique_ptr<LinuxGolden> from_bzimage(
        binary::ByteView bzimage, LinuxPlatform platform = LinuxPlatform::native);
    LinuxPlatform platform() const { return platform_; }
    std::string inspection_rules() const override {
        return std::string("linux ") + platform_name(platform_);
    }
    // init_top_pgt: the kernel's own top-level page table (swapper_pg_dir),
    // whose kernel half every process's shares (0 when absent).
    std::uint64_t kernel_page_table() const { return kernel_page_table_; }
    // xen_domain_type's link address (0 for a kernel without Xen support).
    std::uint64_t xen_domain_type() const { return xen_domain_type_; }
    // Empty for a kernel built without CONFIG_RELOCATABLE.
    const image::X86Relocations& relocations() const { return relocations_; }
    // Link addresses of the pv_ops slots the paravirt sites were patched
    // from, read in the pause so each site is held to its slot's function.
    const std::vector<std::uint64_t>& paravirt_slots() const { return paravirt_slots_; }
    // Link addresses of the static_keys behind the jump labels in .text,
    // whose counts are read in the pause so each site is held to its key.
    const std::vector<std::uint64_t>& static_keys() const { return static_keys_; }
    // The locks the kernel rewrites its code under (code_patching_locks.hpp)
    // that the image names, by name and link address, read in the pause.
    const std::vector<std::pair<std::string, std::uint64_t>>& patching_mutexes() const {
        return patching_mutexes_;
    }
    // How many sites the cross-site checks can judge: paravirt sites with
    // a pv_ops slot, static-call sites whose key has a trampoline in .text
    // (both need data symbols in kallsyms: CONFIG_KALLSYMS_ALL).
    struct Coverage {
        std::size_t paravirt = 0, paravirt_bound = 0;
        std::size_t static_calls = 0, static_calls_with_trampoline = 0;
        std::size_t jump_labels = 0, jump_label_keys = 0;
    };
    const Coverage& coverage() const { return coverage_; }
    // What booted Linux leaves in its IDT (linux_idt.hpp), read in the
    // pause; empty for a PV kernel (Xen's trap table stands in for it,
    // xen_vcpus.hpp) or one without idt_table in kallsyms.
    const std::optional<LinuxIdt>& idt() const { return idt_; }
    // Why a native kernel's IDT could not be predicted from the golden
    // (a layout linux_idt.hpp does not follow); empty when it was, or has
    // no idt_table.
    const std::string& idt_unpredicted() const { return idt_unpredicted_; }
    // A Xen PV kernel: the trap table it registers with Xen, per vector
    // (LinuxIdt::pv_traps); empty when not predicted from the golden.
    const std::optional<std::array<PvTrap, LinuxIdt::kVectors>>& pv_traps() const {
        return pv_traps_;
    }
    // Why not (a PV kernel); empty when predicted.
    const std::string& pv_traps_unpredicted() const { return pv_traps_unpredicted_; }

  private:
    LinuxGolden() = default;
    LinuxPlatform platform_ = LinuxPlatform::native;
    std::uint64_t kernel_page_table_ = 0;
    std::uint64_t xen_domain_type_ = 0;
    image::X86Relocations relocations_;
    std::vector<std::uint64_t> paravirt_slots_;
    std::vector<std::uint64_t> static_keys_;
    std::vector<std::pair<std::string, std::uint64_t>> patching_mutexes_;
    Coverage coverage_;
    std::optional<LinuxIdt> idt_;
    std::string idt_unpredicted_;
    std::optional<std::array<PvTrap, LinuxIdt::kVectors>> pv_traps_;
    std::string pv_traps_unpredicted_;
};

struct LinuxInspection : CodeInspection {
    LinuxPlacement placement;  // where it was found, and its KASLR offset
    // Pauses made: more than one when a pause found the kernel rewriting
    // its code (code_patching_locks.hpp); `pause` is the last one's.
    int pauses = 1;
    std::vector<std::string> mutexes_held;  // in the last pause
    // A PV dom0 inspected with Xen's frame table: its top-level page tables
    // Xen listed in the last pause, all checked (xen_frame_table.hpp).
    std::optional<std::size_t> dom0_root_tables;
    // ... and its vCPUs as Xen holds them, all checked (xen_vcpus.hpp).
    std::optional<std::size_t> dom0_vcpus;
};

// `xen_frame_table`, for a PV dom0 of a located Xen: every page table dom0
// has in use is checked in the pause, not only the ones on a vCPU.
// `xen_dom0_vcpus`: so is every dom0 vCPU as Xen holds it, its kernel
// page table and the addresses it enters the kernel at.
LinuxInspection inspect_linux(const LinuxGolden& golden, const GuestMemory& ram,
                              const GuestControl& guest,
                              const XenFrameTable* xen_frame_table = nullptr,
                              const XenDom0Vcpus* xen_dom0_vcpus = nullptr);

nlohmann::json to_json(const LinuxInspection& result, const LinuxGolden& golden);

}  // namespace drtm::inspect
