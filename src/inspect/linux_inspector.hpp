// One inspection of a running Linux guest: pause it, copy its kernel's
// .text and .rodata out of guest RAM, resume it, then compare the copy with
// the golden image (patch sites from the golden image's own tables; the
// ro_after_init window of .rodata, which the kernel writes at boot, left
// out). The guest is paused only for the copy.
//
// Located anywhere in guest RAM, KASLR included (linux_locate.hpp): the
// relocations the decompressor applied are undone in the copy.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "inspect/code_compare.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/linux_locate.hpp"
#include "inspect/linux_patch_sites.hpp"
#include "inspect/patch_site_forms.hpp"
#include "inspect/qmp_client.hpp"

namespace drtm::inspect {

// The golden kernel: its ELF (from the bzImage), symbols and patch sites.
class LinuxGolden {
  public:
    static std::unique_ptr<LinuxGolden> from_bzimage(binary::ByteView bzimage);
    const image::ElfImage& elf() const { return elf_; }
    const image::KernelSymbols& symbols() const { return *symbols_; }
    const std::vector<PatchSite>& sites() const { return sites_; }
    const SiteFormChecker& site_forms() const { return *site_forms_; }
    // Empty for a kernel built without CONFIG_RELOCATABLE.
    const image::X86Relocations& relocations() const { return relocations_; }
    std::string build_id() const;

  private:
    LinuxGolden() = default;
    binary::Bytes elf_bytes_;  // elf_ views these bytes
    image::ElfImage elf_;
    std::unique_ptr<image::KernelSymbols> symbols_;
    std::vector<PatchSite> sites_;
    std::unique_ptr<SiteFormChecker> site_forms_;
    image::X86Relocations relocations_;
};

struct PauseTiming {
    double stop_ms = 0;    // QMP stop until the vCPUs stopped
    double copy_ms = 0;    // copying the code out, and reading the page tables
    double cont_ms = 0;    // QMP cont
    double window_ms = 0;  // stop sent → cont answered
};

struct LinuxInspection {
    CodeComparison text;
    CodeComparison rodata;
    PauseTiming pause;
    std::uint64_t text_physical = 0;
    LinuxPlacement placement;        // where it was found, and its KASLR offset
    std::size_t sites_changed = 0;   // patch sites the running kernel rewrote
    std::size_t sites_rejected = 0;  // ... into a form the kernel does not write
    // The copies with patch sites (and .rodata's ro_after_init window) put
    // back to the golden bytes: equal to the golden sections when intact.
    binary::Bytes text_normalised;
    binary::Bytes rodata_normalised;
    // The vCPU's page tables, read in the pause: .text and .rodata must map
    // onto the copies compared. Empty when they do.
    std::uint64_t cr3 = 0;
    std::string mapping_problem;
    bool intact() const { return text.intact() && rodata.intact() && mapping_problem.empty(); }
};

LinuxInspection inspect_linux(const LinuxGolden& golden, const GuestMemory& ram, QmpClient& qmp);

nlohmann::json to_json(const LinuxInspection& result, const LinuxGolden& golden);

}  // namespace drtm::inspect
