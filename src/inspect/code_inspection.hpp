// The comparison half of an inspection, the same for Linux and Xen: the
// copied .text checked site by site against the forms the image's own
// patching code writes, then compared byte for byte with the golden
// section; .rodata compared without its ro_after_init window; both
// normalised (allowed sites and the window put back to golden bytes), which
// is what the inspection measures into PCR 19.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "binary/bytes.hpp"
#include "inspect/code_compare.hpp"
#include "inspect/code_pointers.hpp"
#include "inspect/golden_code.hpp"
#include "inspect/lsm_hook_lists.hpp"
#include "inspect/paused_copy.hpp"

namespace drtm::inspect {

struct CodeInspection {
    CodeComparison text;
    CodeComparison rodata;
    PauseTiming pause;
    std::uint64_t text_physical = 0;
    std::size_t sites_changed = 0;   // patch sites the running code rewrote
    std::size_t sites_rejected = 0;  // ... into a form its patching code does not write
    // The copies with patch sites (and .rodata's ro_after_init window) put
    // back to the golden bytes: equal to the golden sections when intact.
    binary::Bytes text_normalised;
    binary::Bytes rodata_normalised;
    // The vCPUs' page tables, read in the pause: .text and .rodata must map
    // onto the copies compared, for every vCPU. Empty when they do.
    std::uint64_t cr3 = 0;  // vCPU 0's
    std::size_t vcpus = 0;
    std::size_t vcpus_paging = 0;  // those with paging on: their CR0.WP is checked
    // The tables of the ro_after_init window compared (boot_sorted_tables.hpp).
    std::vector<std::string> tables_compared;
    // The window's code pointers (code_pointers.hpp); its problems are
    // among .rodata's unexplained regions too.
    CodePointerCheck code_pointers;
    // Linux's LSM hook lists (lsm_hook_lists.hpp), when the window holds them.
    std::optional<LsmHookCheck> lsm_hooks;
    // Checks this inspection could not make, and why (a key being switched
    // in the pause); listed with the findings, so PCR 19 is not the
    // prediction of an intact guest: inspect again.
    std::vector<std::string> not_judged;
    std::string mapping_problem;
    // Gates of a native Linux kernel's IDT, or of Xen's, that are not what
    // the golden image leaves there (linux_idt.hpp, xen_idt.hpp), and
    // vCPUs whose IDTR is not what it loads, one line each.
    std::vector<std::string> idt_problems;
    // The gates checked (for Xen, over every vCPU's table), read in the
    // last pause, and the vCPUs whose IDTR was; empty when not.
    std::optional<std::size_t> idt_gates;
    std::optional<std::size_t> idtrs_checked;
    // vCPUs whose TSS (the stacks interrupts switch to) was checked
    // (linux_tss.hpp, xen_idt.hpp); its problems are with the IDT's.
    std::optional<std::size_t> tss_checked;
    // vCPUs running with CR0.WP clear (paused_copy.hpp), one line each.
    std::vector<std::string> write_protect_problems;
    bool intact() const {
        return text.intact() && rodata.intact() && mapping_problem.empty() &&
               idt_problems.empty() && write_protect_problems.empty();
    }
};

// What the comparison needs besides the copies: values read from the guest
// in the pause, and where the image runs.
struct GuestFacts {
    // Function pointers Xen's altcall sites and Linux's paravirt sites call
    // through (link address → value at link addresses).
    const PointerValues* pointers = nullptr;
    // Linux's static_key counts, for the jump labels.
    const StaticKeyCounts* static_keys = nullptr;
    // Runtime minus link address (Linux's KASLR offset).
    std::int64_t virtual_delta = 0;
};

// Fills `out`'s comparisons, site counts and normalised copies from the
// copies (already at link addresses: relocations undone). Throws when not
// one page of .text matches: the guest runs another image.
void compare_with_golden(const GoldenCode& golden, PausedCopy copy, CodeInspection& out,
                         const GuestFacts& facts = {});

// What the inspection found, one line per unexplained region ("text
// 0xADDR symbol: note"), the page-table problem, a count of regions past
// those listed, and the checks not made ("not judged: ..."); empty when
// intact and complete. Measured into PCR 19 after the
// normalised sections (inspection_measurement.hpp).
std::string findings_text(const CodeInspection& result);

// The report fields every inspection has: verdict, build id, where, page
// tables, pause window, patch sites, the two comparisons.
nlohmann::json to_json(const CodeInspection& result, const GoldenCode& golden);

}  // namespace drtm::inspect
