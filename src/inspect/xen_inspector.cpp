#include "inspect/xen_inspector.hpp"

#include <algorithm>
#include <cstring>

#include "binary/error.hpp"
#include "image/elf_symbols.hpp"
#include "inspect/guest_page_tables.hpp"
#include "inspect/xen_idt.hpp"
#include "inspect/xen_patch_sites.hpp"
#include "inspect/xen_virtual_memory.hpp"

namespace drtm::inspect {

namespace {

constexpr std::uint16_t kMachineX86_64 = 62;
constexpr std::uint64_t kSlot = 2u << 20;
// How much of the start of .text identifies Xen: _start's code, which no
// alternative touches (any site there would be masked).
constexpr std::size_t kSignatureSize = 256;

}  // namespace

std::unique_ptr<XenGolden> XenGolden::from_xen_syms(binary::ByteView xen_syms) {
    std::unique_ptr<XenGolden> g(new XenGolden);
    g->elf_bytes_.assign(xen_syms.begin(), xen_syms.end());
    g->elf_ = image::ElfImage::parse(g->elf_bytes_);
    if (!g->elf_.is_64bit() || g->elf_.machine() != kMachineX86_64)
        throw binary::ParseError(0,
                                 "not xen-syms: the golden Xen is the x86-64 ELF with "
                                 "symbols (xen.gz is the 32-bit loader image)");
    g->require_code_sections("the Xen image");
    const auto* text = g->elf_.section(".text");
    const auto* rodata = g->elf_.section(".rodata");
    if (text->addr % kSlot != 0)
        throw binary::ParseError(0, "the Xen image's .text is not 2 MiB-aligned");
    // .text through the end of its last page: Xen maps that page executable.
    const std::uint64_t page_end = (text->addr + text->size + 0xFFF) & ~std::uint64_t(0xFFF);
    if (rodata->addr < text->addr + text->size)
        throw binary::ParseError(0, "the Xen image's .rodata overlaps its .text");
    g->text_bytes_ =
        g->elf_.load_bytes_at(text->addr, std::min(page_end, rodata->addr) - text->addr);
    g->symbols_ = std::make_unique<image::KernelSymbols>(image::elf_kernel_symbols(g->elf_));
    if (!g->symbols_->address("xen_phys_start"))
        throw binary::ParseError(0, "not a Xen image: no xen_phys_start symbol");
    g->sites_ = xen_patch_sites(g->elf_, *g->symbols_);
    g->site_forms_ = std::make_unique<SiteFormChecker>(g->elf_, *g->symbols_);
    g->ro_after_init_start_ = g->symbols_->require("__ro_after_init_start");
    g->ro_after_init_end_ = g->symbols_->require("__ro_after_init_end");
    // struct exception_table_entry { s32 addr, cont; }, sorted by address.
    const BootSortedTable ex_entry{"", 0, 0, 8, {{0, 4}, {4, 4}}, {0}};
    for (auto table :
         {boot_sorted_table(*g->symbols_, "__start___ex_table", "__stop___ex_table", ex_entry,
                            g->ro_after_init_start_, g->ro_after_init_end_),
          boot_sorted_table(*g->symbols_, "__start___pre_ex_table", "__stop___pre_ex_table",
                            ex_entry, g->ro_after_init_start_, g->ro_after_init_end_)})
        if (table) g->boot_sorted_tables_.push_back(std::move(*table));
    g->find_altcall_pointers();
    return g;
}

// The function pointers altcall sites call through that Xen cannot change
// after boot: those in .rodata (its ro_after_init window), read in the
// pause, say exactly where each altcall goes (xen-syms flags .rodata
// writable, for that window, so it is chosen by name). Pointers in writable data
// (cpufreq_driver, cpuidle_get_tick, ...) may change after the sites were
// patched, and those in freed init data are gone: both get the weaker rule
// (a function start in .text, or ud2).
void XenGolden::find_altcall_pointers() {
    for (const auto& s : sites_) {
        const auto pointer = indirect_call_pointer(s.address, elf_.bytes_at(s.address, s.length));
        if (pointer && rodata().contains(*pointer) && rodata().contains(*pointer + 7))
            altcall_pointers_.push_back(*pointer);
    }
    std::sort(altcall_pointers_.begin(), altcall_pointers_.end());
    altcall_pointers_.erase(std::unique(altcall_pointers_.begin(), altcall_pointers_.end()),
                            altcall_pointers_.end());
}

XenPlacement locate_xen(const XenGolden& golden, const GuestMemory& ram) {
    const auto& text = golden.text();
    const auto signature =
        golden.text_bytes().first(std::min(kSignatureSize, golden.text_bytes().size()));
    // Bytes no site covers (none, in the images seen; kept general).
    std::vector<bool> stable(signature.size(), true);
    for (const auto& s : golden.sites())
        for (std::uint64_t a = s.address; a < s.address + s.length; ++a)
            if (a >= text.addr && a - text.addr < stable.size()) stable[a - text.addr] = false;
    auto matches = [&](binary::ByteView found) {
        for (std::size_t i = 0; i < signature.size(); ++i)
            if (stable[i] && found[i] != signature[i]) return false;
        return true;
    };

    const std::uint64_t variable = golden.symbols().require("xen_phys_start");
    const std::uint64_t image_size = golden.rodata().addr + golden.rodata().size - text.addr;
    XenPlacement found;
    std::vector<std::uint64_t> placed;
    for (std::uint64_t pa = kSlot; pa + image_size <= ram.size(); pa += kSlot) {
        if (!matches(ram.view(pa, signature.size()))) continue;
        ++found.candidates;
        // Xen's own record of where it is, read where this candidate says
        // the variable lives.
        if (variable < text.addr || variable - text.addr > ram.size() - 8 - pa) continue;
        const std::uint64_t at = pa + (variable - text.addr);
        std::uint64_t value;
        std::memcpy(&value, ram.view(at, 8).data(), 8);
        if (value + (text.addr - golden.virtual_start()) == pa) {
            placed.push_back(pa);
            found.xen_phys_start = value;
        }
    }
    if (placed.empty())
        throw std::runtime_error(
            found.candidates
                ? std::to_string(found.candidates) +
                      " place(s) start like the golden Xen's .text, but at none does Xen's "
                      "xen_phys_start say Xen runs there (a stale copy, or another Xen build)"
                : "the golden Xen's .text is nowhere in guest memory (2 MiB-aligned): the guest "
                  "runs another hypervisor build, or none");
    if (placed.size() > 1)
        throw std::runtime_error(std::to_string(placed.size()) +
                                 " places hold the golden Xen with a consistent xen_phys_start; "
                                 "refusing to guess");
    found.text_physical = placed.front();
    return found;
}

XenInspection inspect_xen(const XenGolden& golden, const GuestMemory& ram,
                          const GuestControl& guest) {
    const auto& text = golden.text();
    const auto& rodata = golden.rodata();
    XenInspection r;
    // Before the pause: Xen does not move once it runs.
    r.placement = locate_xen(golden, ram);
    r.text_physical = r.placement.text_physical;
    const std::uint64_t rodata_physical = r.text_physical + (rodata.addr - text.addr);
    // Xen's image is physically contiguous from xen_phys_start.
    std::vector<std::uint64_t> pointer_va, pointer_pa;
    for (auto va : golden.altcall_pointers())
        if (va - text.addr <= ram.size() - 8 - r.text_physical) {
            pointer_va.push_back(va);
            pointer_pa.push_back(r.text_physical + (va - text.addr));
        }
    // Xen's own IDTs (xen_idt.hpp): the one each vCPU's IDTR points at,
    // read in the pause through Xen's idle_pg_table, as Xen maps them.
    std::optional<XenIdt> idt;
    try {
        idt = XenIdt::from_golden(golden);
    } catch (const std::runtime_error& e) {
        r.not_judged.push_back(std::string("Xen's IDT: ") + e.what());
    }
    std::optional<XenVirtualMemory> memory;
    if (const auto idle = golden.symbols().address("idle_pg_table");
        idt && idle && *idle >= text.addr && *idle - text.addr < ram.size() - r.text_physical)
        memory.emplace(r.text_physical + (*idle - text.addr));
    // Which of Xen's CPUs each IDTR is, and whether it is online.
    std::optional<XenCpuRecord> cpu_record;
    std::string cpus_unread;
    if (memory) try {
            cpu_record = XenCpuRecord::locate(golden, ram, *memory);
        } catch (const std::runtime_error& e) {
            cpus_unread = e.what();
        }
    std::vector<XenVcpuIdt> idts;
    std::optional<XenCpus> cpus;
    auto read_idts = [&](std::span<const PausedVcpu> vcpus) {
        idts.clear();
        cpus.reset();
        if (cpu_record) try {
                cpus = cpu_record->read(ram, *memory);
            } catch (const std::runtime_error& e) {
                cpus_unread = e.what();
            }
        for (const auto& v : vcpus)
            if (v.paging.paging && v.idtr)
                idts.push_back(read_vcpu_idt(ram, *memory, v, cpus ? &*cpus : nullptr));
    };
    auto copy = copy_while_paused(
        guest, ram, r.text_physical, golden.text_bytes().size(), rodata_physical, rodata.size,
        [&](std::uint64_t cr3) {
            // At the link addresses: Xen is not randomised.
            const MappedRange ranges[] = {{text.addr, r.text_physical, golden.text_bytes().size()},
                                          {rodata.addr, rodata_physical, rodata.size}};
            return check_mappings(ram, cr3, ranges, /*pti_pair=*/false);
        },
        // Xen's TSS is read where Xen keeps each CPU's (read_vcpu_idt).
        pointer_pa, nullptr, memory ? SystemRegisterReads::registers : SystemRegisterReads::none,
        memory ? std::function<void(std::span<const PausedVcpu>)>(read_idts) : nullptr);
    const auto idtrs_unread = copy.idtrs_unread;
    PointerValues pointers;
    for (std::size_t i = 0; i < pointer_va.size(); ++i) pointers[pointer_va[i]] = copy.words[i];
    compare_with_golden(golden, std::move(copy), r, {.pointers = &pointers});
    if (!idtrs_unread.empty()) r.not_judged.push_back("the vCPUs' IDTR: " + idtrs_unread);
    if (idt && !memory)
        r.not_judged.push_back("Xen's IDT: idle_pg_table is not in Xen's image in guest RAM");
    if (memory && idtrs_unread.empty()) {
        auto verdict = idt->judge(idts, cpus, cpus_unread, golden.symbols());
        r.idt_gates = verdict.gates_checked;
        r.idtrs_checked = verdict.idtrs_checked;
        r.tss_checked = verdict.tss_checked;
        r.idt_problems = std::move(verdict.problems);
        for (auto& line : verdict.not_judged) r.not_judged.push_back("Xen's IDT: " + line);
    }
    return r;
}

nlohmann::json to_json(const XenInspection& r, const XenGolden& golden) {
    auto j = to_json(static_cast<const CodeInspection&>(r), golden);
    j["image"] = "xen";
    j["xen_phys_start"] = binary::hex_number(r.placement.xen_phys_start);
    return j;
}

}  // namespace drtm::inspect
