#include "inspect/linux_inspector.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>
#include <unordered_set>

#include "binary/error.hpp"
#include "image/vmlinux.hpp"
#include "inspect/code_patching_locks.hpp"
#include "inspect/guest_page_tables.hpp"
#include "inspect/linux_tss.hpp"

namespace drtm::inspect {

const char* platform_name(LinuxPlatform platform) {
    return platform == LinuxPlatform::xen_pv ? "xen-pv" : "native";
}

std::string platform_mismatch(LinuxPlatform platform, std::uint32_t xen_domain_type) {
    if (platform != LinuxPlatform::xen_pv || xen_domain_type == 1) return "";
    if (xen_domain_type == 0)
        return "the kernel found says it runs natively (xen_domain_type 0), not as Xen's PV dom0";
    if (xen_domain_type == 2)
        return "dom0 runs as an HVM or PVH guest of Xen (its xen_domain_type is 2); drtm holds "
               "dom0 to a PV guest's rules only";
    return "the kernel's xen_domain_type holds " + std::to_string(xen_domain_type) +
           ", no value Linux gives it";
}

namespace {

// Xen PV start-up (xen_start_kernel, Linux 5.18+) writes a jmp to xen_iret
// over the jmp to the native iret at early_xen_iret_patch, outside every
// patch table: a site of its own, in a PV guest's golden only.
void add_xen_pv_sites(std::vector<PatchSite>& sites, const image::KernelSymbols& symbols,
                      const image::ElfImage& elf, binary::ByteView elf_file) {
    const auto at = symbols.address("early_xen_iret_patch");
    const auto xen_iret = symbols.address("xen_iret");
    if (!at || !xen_iret) return;
    const auto golden = elf.bytes_at(*at, 5);
    if (golden.size() != 5 || golden[0] != 0xE9)
        throw binary::ParseError(static_cast<std::size_t>(golden.data() - elf_file.data()),
                                 "no jmp rel32 at early_xen_iret_patch");
    sites.push_back(
        {.address = *at, .length = 5, .kind = PatchKind::xen_pv_iret, .target = *xen_iret});
}

// Where a vCPU enters the kernel (link address): a function of the
// copy's .text, or what it is instead.
std::string check_entry_point(const LinuxGolden& golden, std::uint64_t va) {
    const auto& text = golden.text();
    if (va < text.addr || va - text.addr >= text.size)
        return "points at " + binary::hex_number(va) + ", outside the kernel's .text";
    for (const auto& s : golden.symbols().at(va))
        if (s.type == 'T' || s.type == 't') return "";
    return "points at " + golden.symbols().symbolize(va) + ", not at the start of a function";
}

// The function a Xen PV kernel registers for each callback
// (arch/x86/xen/setup.c: xen_pvmmu_arch_setup's register_callback calls,
// xen_enable_syscall/sysenter; a secondary vCPU's event and failsafe in
// cpu_initialize_context); nullptr for traps.
const char* pv_entry_point_symbol(std::string_view what) {
    static constexpr std::pair<std::string_view, const char*> kCallbacks[] = {
        {"event callback", "xen_asm_exc_xen_hypervisor_callback"},
        {"failsafe callback", "xen_failsafe_callback"},
        {"syscall callback", "xen_entry_SYSCALL_64"},
        {"syscall32 callback", "xen_entry_SYSCALL_compat"},
        {"sysenter callback", "xen_entry_SYSENTER_compat"}};
    for (const auto& [name, symbol] : kCallbacks)
        if (name == what) return symbol;
    return nullptr;
}

}  // namespace

std::unique_ptr<LinuxGolden> LinuxGolden::from_bzimage(binary::ByteView bzimage,
                                                       LinuxPlatform platform) {
    std::unique_ptr<LinuxGolden> g(new LinuxGolden);
    g->platform_ = platform;
    auto vmlinux = image::extract_vmlinux(bzimage);
    g->elf_bytes_ = std::move(vmlinux.elf);
    if (!vmlinux.relocations.empty()) {
        g->relocations_ = image::parse_x86_relocations(vmlinux.relocations);
        g->relocated_words_ = g->relocations_.rel64;
        std::sort(g->relocated_words_.begin(), g->relocated_words_.end());
    }
    // x86-64's module area, MODULES_VADDR .. MODULES_END: above the kernel
    // image's mapping, 1 GiB with CONFIG_RANDOMIZE_BASE (a relocatable
    // kernel), 512 MiB without. BPF programs are JITed there too.
    g->loaded_later_ = {
        {g->relocations_.rel64.empty() ? 0xffffffffa0000000ull : 0xffffffffc0000000ull,
         0xffffffffff000000ull}};
    g->elf_ = image::ElfImage::parse(g->elf_bytes_);
    g->require_code_sections("the golden kernel");
    g->symbols_ = std::make_unique<image::KernelSymbols>(image::decode_kallsyms(g->elf_));
    g->sites_ = linux_patch_sites(g->elf_, *g->symbols_);
    if (platform == LinuxPlatform::xen_pv)
        add_xen_pv_sites(g->sites_, *g->symbols_, g->elf_, g->elf_bytes_);
    if (platform == LinuxPlatform::xen_pv) {
        // The trap table it registers with Xen, from the same tables; a
        // golden it cannot be predicted from keeps the function-start rule.
        try {
            if (auto idt = LinuxIdt::from_golden(g->elf_, g->elf_bytes_, *g->symbols_))
                g->pv_traps_ = idt->pv_traps();
            if (!g->pv_traps_)
                g->pv_traps_unpredicted_ = "the golden kernel has no idt_table or trap_array";
        } catch (const binary::ParseError& e) {
            g->pv_traps_unpredicted_ = e.reason();
        }
    } else {
        try {
            g->idt_ = LinuxIdt::from_golden(g->elf_, g->elf_bytes_, *g->symbols_);
        } catch (const binary::ParseError& e) {
            g->idt_unpredicted_ = (e.offset() ? "at offset " + binary::hex_number(e.offset()) +
                                                    " of the golden "
                                                    "vmlinux: "
                                              : std::string()) +
                                  e.reason();
        }
    }
    g->kernel_page_table_ = g->symbols_->address("init_top_pgt").value_or(0);
    g->xen_domain_type_ = g->symbols_->address("xen_domain_type").value_or(0);
    g->site_forms_ = std::make_unique<SiteFormChecker>(g->elf_, *g->symbols_);
    g->ro_after_init_start_ = g->symbols_->require("__start_ro_after_init");
    g->ro_after_init_end_ = g->symbols_->require("__end_ro_after_init");
    // struct jump_entry { s32 code, target; long key; }, sorted by key then
    // code, its init mark rewritten at boot; struct static_call_site { s32
    // addr, key; }, sorted by key, marked when in init code.
    using Mark = BootSortedTable::InitMark;
    const auto init_begin = g->symbols_->address("__init_begin").value_or(0);
    const auto init_end = g->symbols_->address("__init_end").value_or(0);
    const BootSortedTable jump_entry{
        "",         0,       0, 16, {{0, 4}, {4, 4}, {8, 8}}, {2, 0}, Mark::exactly_init_code,
        init_begin, init_end};
    const BootSortedTable static_call_site{
        "", 0, 0, 8, {{0, 4}, {4, 4}}, {1}, Mark::added_for_init_code, init_begin, init_end};
    for (auto table :
         {boot_sorted_table(*g->symbols_, "__start___jump_table", "__stop___jump_table", jump_entry,
                            g->ro_after_init_start_, g->ro_after_init_end_),
          boot_sorted_table(*g->symbols_, "__start_static_call_sites", "__stop_static_call_sites",
                            static_call_site, g->ro_after_init_start_, g->ro_after_init_end_)})
        if (table) g->boot_sorted_tables_.push_back(std::move(*table));
    {
        const auto& ro = g->rodata();
        const auto from = std::clamp(g->ro_after_init_start_, ro.addr, ro.addr + ro.size);
        const auto to = std::clamp(g->ro_after_init_end_, from, ro.addr + ro.size);
        g->lsm_hooks_ =
            find_lsm_hooks(g->rodata_bytes().subspan(from - ro.addr, to - from), from, *g->symbols_,
                           g->text().addr, g->text().addr + g->text().size);
    }
    std::unordered_set<std::uint64_t> keys_with_trampoline;
    for (const auto& s : g->sites_)
        if (s.kind == PatchKind::static_call_trampoline && s.target)
            keys_with_trampoline.insert(s.target);
    auto& c = g->coverage_;
    for (const auto& s : g->sites_) {
        if (s.kind == PatchKind::paravirt) {
            ++c.paravirt;
            if (s.target) {
                ++c.paravirt_bound;
                g->paravirt_slots_.push_back(s.target);
            }
        } else if (s.kind == PatchKind::static_call) {
            ++c.static_calls;
            c.static_calls_with_trampoline += keys_with_trampoline.contains(s.target);
        } else if (s.kind == PatchKind::jump_label) {
            ++c.jump_labels;
            if (s.key) g->static_keys_.push_back(s.key);
        }
    }
    std::sort(g->static_keys_.begin(), g->static_keys_.end());
    g->static_keys_.erase(std::unique(g->static_keys_.begin(), g->static_keys_.end()),
                          g->static_keys_.end());
    c.jump_label_keys = g->static_keys_.size();
    for (const char* name : kCodePatchingMutexes)
        if (const auto at = g->symbols_->address(name))
            g->patching_mutexes_.emplace_back(name, *at);
    std::sort(g->paravirt_slots_.begin(), g->paravirt_slots_.end());
    g->paravirt_slots_.erase(std::unique(g->paravirt_slots_.begin(), g->paravirt_slots_.end()),
                             g->paravirt_slots_.end());
    return g;
}

LinuxInspection inspect_linux(const LinuxGolden& golden, const GuestMemory& ram,
                              const GuestControl& guest, const XenFrameTable* xen_frame_table,
                              const XenDom0Vcpus* xen_dom0_vcpus) {
    const auto& text = golden.text();
    const auto& rodata = golden.rodata();
    LinuxInspection r;
    // Before the pause: the kernel does not move while it runs.
    r.placement = locate_linux(golden, ram);
    r.text_physical = r.placement.text_physical;
    const auto delta = static_cast<std::uint64_t>(r.placement.virtual_delta);
    // How the kernel says it runs, read before the pause (set at boot): a
    // guest that lies about it can only make the inspection fail.
    if (const auto at = golden.xen_domain_type();
        at > text.addr && at - text.addr <= ram.size() - 4 - r.text_physical) {
        std::uint32_t type;
        std::memcpy(&type, ram.view(r.text_physical + (at - text.addr), 4).data(), 4);
        if (auto why = platform_mismatch(golden.platform(), type); !why.empty())
            throw std::runtime_error(why);
    }
    // The kernel image is physically contiguous: data lies at the same
    // offset from .text as in the ELF.
    // Read in the pause: the pv_ops slots, then the static keys' counts.
    std::vector<std::uint64_t> word_va, word_pa;
    auto read_word = [&](std::uint64_t va) {
        if (va > text.addr && va - text.addr <= ram.size() - 8 - r.text_physical) {
            word_va.push_back(va);
            word_pa.push_back(r.text_physical + (va - text.addr));
        }
    };
    for (auto va : golden.paravirt_slots()) read_word(va);
    const std::size_t slots_read = word_va.size();
    for (auto va : golden.static_keys()) read_word(va);
    const std::size_t keys_read = word_va.size();
    std::vector<MutexReading> mutexes;
    for (const auto& [name, va] : golden.patching_mutexes()) {
        const auto before = word_va.size();
        read_word(va);
        if (word_va.size() > before) mutexes.push_back({name, 0});
    }
    // A native kernel's IDT, whole, as 8-byte words after the others.
    const auto& idt = golden.idt();
    const std::size_t idt_first = word_va.size();
    if (idt)
        for (std::size_t i = 0; i < LinuxIdt::kTableBytes; i += 8) read_word(idt->table() + i);
    const bool idt_read = idt && word_va.size() - idt_first == LinuxIdt::kTableBytes / 8;
    if (!golden.idt_unpredicted().empty())
        r.not_judged.push_back("the IDT: " + golden.idt_unpredicted());
    // At their runtime (randomised) addresses, and where each is copied.
    const MappedRange ranges[] = {
        {text.addr + delta, r.text_physical, text.size},
        {rodata.addr + delta, r.text_physical + (rodata.addr - text.addr), rodata.size}};
    // The CPUs use the IDT through its read-only alias at the
    // cpu_entry_area's first page (not randomised), which must be
    // idt_table's page in the tables an interrupt finds loaded: the CR3 a
    // vCPU holds, and under page-table isolation (a user half, which maps
    // the cpu_entry_area but not the kernel) its kernel half too.
    auto check_idt_alias = [&](std::uint64_t cr3) -> std::string {
        if (!idt_read) return "";
        const MappedRange alias[] = {{kCpuEntryAreaIdt, word_pa[idt_first], LinuxIdt::kTableBytes}};
        auto problem = check_mappings(ram, cr3, alias, /*pti_pair=*/false);
        if (problem.empty() && (cr3 & 0x1000) &&
            !check_mappings(ram, cr3, ranges, /*pti_pair=*/false).empty())
            problem = check_mappings(ram, cr3 & ~0x1000ull, alias, /*pti_pair=*/false);
        return problem;
    };
    // A PV guest: its own kernel page tables, and the vCPUs running it
    // (guest_page_tables.hpp); with Xen's frame table, every other table
    // dom0 has in use too, at the kernel's own addresses. Which of them a
    // vCPU Xen descheduled (or one in user mode) enters the kernel on is
    // in Xen's struct vcpu, which is not read, and a table mapping none of
    // the kernel's addresses could still run kernel code from others: a
    // pause in which no vCPU ran on tables mapping the kernel is made
    // again (docs/inspect.md).
    const bool pv = golden.platform() == LinuxPlatform::xen_pv;
    const XenFrameTable* frame_table = pv ? xen_frame_table : nullptr;
    const XenDom0Vcpus* dom0_vcpus = pv ? xen_dom0_vcpus : nullptr;
    const auto top = golden.kernel_page_table();
    const std::uint64_t kernel_root = top > text.addr ? r.text_physical + (top - text.addr) : 0;
    // The layout is checked on a frame dom0 cannot give away while its
    // kernel runs there: its first page of .text must be dom0's.
    if (frame_table && frame_table->owner_of(ram, r.text_physical) != frame_table->dom0_owner()) {
        r.not_judged.push_back(
            "Xen's frame table was not used: as read, it does not give dom0 as the owner of its "
            "kernel's first page (" +
            binary::hex_number(r.text_physical) +
            "), so it is not laid out as in Xen 4.17 without CONFIG_BIGMEM; of dom0's page "
            "tables, only the vCPUs' and init_top_pgt were checked");
        frame_table = nullptr;
    }
    bool vcpu_maps_kernel = false;
    auto check_pv_mappings = [&](std::uint64_t cr3) {
        if (!kernel_root)
            return std::string(
                "the golden kernel names no init_top_pgt after .text: its own "
                "page tables cannot be checked");
        auto c = check_pv_guest_mappings(ram, kernel_root, cr3, ranges);
        vcpu_maps_kernel = vcpu_maps_kernel || c.vcpu_maps_kernel;
        return c.problem;
    };
    // Every L4 Xen lists for dom0, the kernel's own among them: Linux
    // pins init_top_pgt at boot and never unpins it.
    auto check_listed_tables = [&]() -> std::string {
        const auto roots = frame_table->dom0_root_tables(ram);
        r.dom0_root_tables = roots.size();
        if (!std::binary_search(roots.begin(), roots.end(), kernel_root))
            return "init_top_pgt (" + binary::hex_number(kernel_root) +
                   "), the kernel's own page table, is not among the page tables Xen lists for "
                   "dom0";
        for (const auto root : roots)
            if (root != kernel_root)
                if (auto problem = check_pv_root_table(ram, kernel_root, root, ranges,
                                                       "a page table Xen lists for dom0");
                    !problem.empty())
                    return problem;
        return "";
    };
    // Every dom0 vCPU as Xen holds it, descheduled or not: the table it
    // enters the kernel on must map the copy (or share init_top_pgt's
    // kernel half), and it must enter the kernel at functions of the
    // copy. Read failures leave it to the other checks.
    std::string vcpus_unread;
    const auto early_handlers = golden.symbols().address("xen_early_idt_handler_array");
    const auto& pv_traps = golden.pv_traps();
    auto check_vcpus = [&]() -> std::string {
        std::vector<Dom0Vcpu> vcpus;
        try {
            vcpus = dom0_vcpus->read(ram);
        } catch (const std::exception& e) {
            vcpus_unread = e.what();
            return "";
        }
        for (const auto& v : vcpus) {
            const auto whose = "dom0's vCPU " + std::to_string(v.id);
            if (v.kernel_table && v.kernel_table != kernel_root)
                if (auto problem = check_pv_kernel_table(ram, kernel_root, v.kernel_table, ranges,
                                                         whose + "'s kernel page table");
                    !problem.empty())
                    return problem;
            if (v.user_table)
                if (auto problem = check_pv_root_table(ram, kernel_root, v.user_table, ranges,
                                                       whose + "'s user page table");
                    !problem.empty())
                    return problem;
            // A vCPU Linux brought up registered every trap the golden
            // kernel does, and its event and failsafe callbacks with them
            // (cpu_initialize_context): one cleared is a finding too (Xen
            // would crash dom0 on the event it bounces there).
            // Each entry's trap vector, parsed once ("trap 14" → 14).
            auto trap_vector = [](const std::string& what) -> std::optional<std::size_t> {
                if (!what.starts_with("trap ")) return std::nullopt;
                return std::stoull(what.substr(5));
            };
            if (pv_traps && !v.entry_points.empty()) {
                std::array<bool, LinuxIdt::kVectors> held{};
                for (const auto& e : v.entry_points)
                    if (const auto t = trap_vector(e.first)) held.at(*t) = true;
                for (std::size_t t = 0; t < pv_traps->size(); ++t)
                    if ((*pv_traps)[t].address && !held[t])
                        return whose + "'s trap " + std::to_string(t) +
                               ": none, where the golden kernel registers " +
                               golden.symbols().symbolize((*pv_traps)[t].address);
                for (const char* what : {"event callback", "failsafe callback"})
                    if (std::none_of(v.entry_points.begin(), v.entry_points.end(),
                                     [&](const auto& e) { return e.first == what; }))
                        return whose + "'s " + what + ": none, where the golden kernel registers " +
                               pv_entry_point_symbol(what);
            }
            for (const auto& [what, va] : v.entry_points) {
                const auto link = va - delta;
                const auto trap = trap_vector(what);
                // Exactly what the golden kernel registers there, when the
                // golden says (linux_idt.hpp, pv_entry_point_symbol).
                std::optional<std::uint64_t> want;
                if (trap && pv_traps) {
                    const auto& expected = pv_traps->at(*trap);
                    want = expected.address;
                    if (expected.address && v.trap_flags[*trap] != expected.flags)
                        return whose + "'s trap " + std::to_string(*trap) + ": " +
                               pv_trap_flags_problem(v.trap_flags[*trap], expected.flags);
                }
                if (!trap)
                    if (const char* name = pv_entry_point_symbol(what))
                        want = golden.symbols().address(name);
                if (want) {
                    if (link != *want)
                        return whose + "'s " + what + " points at " +
                               golden.symbols().symbolize(link) + ", where the golden kernel " +
                               (*want ? "registers " + golden.symbols().symbolize(*want)
                                      : std::string("registers none"));
                    continue;
                }
                // Else a function of the copy, or the early handler Linux's
                // Xen start-up leaves in an exception vector it has no
                // handler for (xen_early_idt_handler_array, 8 bytes each).
                if (early_handlers && trap && *trap < 32 && link == *early_handlers + 8 * *trap)
                    continue;
                if (auto problem = check_entry_point(golden, link); !problem.empty())
                    return whose + "'s " + what + " " + problem;
            }
        }
        r.dom0_vcpus = vcpus.size();
        return "";
    };
    auto check_xen_side = [&]() -> std::string {
        if (!kernel_root) return "";
        auto problem = frame_table ? check_listed_tables() : std::string();
        if (problem.empty() && dom0_vcpus) problem = check_vcpus();
        return problem;
    };
    auto pause = [&] {
        vcpu_maps_kernel = false;
        r.dom0_root_tables.reset();
        r.dom0_vcpus.reset();
        vcpus_unread.clear();
        // Read once just before the pause, the frame table is in the
        // host's cache when the pause reads it again.
        if (frame_table) frame_table->warm(ram);
        return copy_while_paused(
            guest, ram, r.text_physical, golden.text_bytes().size(),
            r.text_physical + (rodata.addr - text.addr), rodata.size,
            [&](std::uint64_t cr3) {
                // Under page-table isolation CR3 may hold the user half of
                // the pair.
                if (pv) return check_pv_mappings(cr3);
                auto problem = check_mappings(ram, cr3, ranges, /*pti_pair=*/true);
                return problem.empty() ? check_idt_alias(cr3) : problem;
            },
            word_pa,
            frame_table || dom0_vcpus ? std::function<std::string()>(check_xen_side) : nullptr,
            idt_read && !pv ? SystemRegisterReads::registers_and_tss : SystemRegisterReads::none);
    };
    // Paused while the kernel rewrites its code, the copy may hold a site
    // half-written; paused while no vCPU runs a PV kernel, what it runs on
    // is not seen: resume, pause again.
    constexpr int kMaxPauses = 4;
    auto copy = pause();
    // The copies of the pauses before the last, and why each was not the
    // last: held to the last one afterwards (report_changes_between_pauses).
    std::vector<std::pair<PausedCopy, std::string>> earlier;
    int unbound_pauses = 0;
    for (;;) {
        for (std::size_t i = 0; i < mutexes.size(); ++i)
            mutexes[i].owner_word = copy.words[keys_read + i];
        r.mutexes_held = held_mutexes(mutexes);
        // With every vCPU read from Xen, none is unseen.
        const bool unbound =
            pv && copy.mapping_problem.empty() && !vcpu_maps_kernel && !r.dom0_vcpus;
        unbound_pauses += unbound;
        if ((r.mutexes_held.empty() && !unbound) || r.pauses == kMaxPauses) {
            if (!vcpus_unread.empty())
                r.not_judged.push_back("dom0's vCPUs as Xen holds them were not read: " +
                                       vcpus_unread);
            if (unbound)
                r.not_judged.push_back(
                    "the page tables the kernel runs on: in " + std::to_string(unbound_pauses) +
                    " of " + std::to_string(r.pauses) +
                    " pauses no vCPU held tables mapping it (it ran user code, or Xen on its own "
                    "tables), the last among them; " +
                    (r.dom0_root_tables ? "init_top_pgt and every table Xen lists for dom0 were "
                                          "checked at the kernel's own addresses"
                                        : std::string("only init_top_pgt was checked")));
            break;
        }
        std::string why;
        for (const auto& name : r.mutexes_held) why += (why.empty() ? "" : ", ") + name + " held";
        if (unbound) why += std::string(why.empty() ? "" : ", ") + "no vCPU on the kernel's tables";
        earlier.emplace_back(std::move(copy), std::move(why));
        std::this_thread::sleep_for(std::chrono::milliseconds(25 * r.pauses));
        ++r.pauses;
        copy = pause();
    }
    // The last pause's raw bytes, which the earlier ones are held to.
    binary::Bytes last_text, last_rodata;
    if (!earlier.empty()) last_text = copy.text, last_rodata = copy.rodata;
    for (const auto& name : r.mutexes_held)
        if (auto what = not_judged_while_held(name); !what.empty())
            r.not_judged.push_back(std::move(what));
    std::optional<std::uint64_t> jump_label_owner;
    for (const auto& m : mutexes)
        if (m.name == "jump_label_mutex") jump_label_owner = m.owner_word;
    // What the CPUs dispatch through: the alias checked in the pause. A
    // CPU the kernel is bringing online holds, for a while, the real-mode
    // trampoline's empty IDTR or bringup_idt_table (early_setup_idt):
    // not judged, like a lock held.
    const auto bringup = golden.symbols().address("bringup_idt_table");
    struct IdtrCheck {
        std::size_t vcpus = 0, tss = 0;
        std::vector<std::string> problems, not_judged;
    };
    // The interrupt stacks the golden gates switch to, each with the first
    // vector using it: every CPU's TSS must hold them (linux_tss.hpp).
    std::map<int, int> ists_used;
    if (idt)
        for (int v = LinuxIdt::kVectors - 1; v >= 0; --v)
            if (const auto ist = idt->expected()[static_cast<std::size_t>(v)].ist)
                ists_used[ist] = v;
    auto check_idtrs = [&](const PausedCopy& c) {
        IdtrCheck out;
        std::vector<const PausedVcpu*> judged;  // whose TSS is judged too
        if (!c.idtrs_unread.empty()) out.not_judged.push_back("the vCPUs' IDTR: " + c.idtrs_unread);
        for (const auto& vcpu : c.vcpus) {
            if (!vcpu.paging.paging || !vcpu.idtr) continue;
            const auto whose = "vCPU " + std::to_string(vcpu.cpu_index);
            const auto& idtr = *vcpu.idtr;
            if ((idtr.base == 0 && idtr.limit == 0) || (bringup && idtr.base == *bringup + delta)) {
                out.not_judged.push_back(whose + "'s IDTR (" + binary::hex_number(idtr.base) +
                                         "): the kernel is bringing the CPU online");
                continue;
            }
            ++out.vcpus;
            if (auto problem = idtr_problem(idtr); !problem.empty())
                out.problems.push_back(whose + ": " + problem);
            judged.push_back(&vcpu);
        }
        auto tss = judge_linux_tss(judged, ists_used);
        out.problems.insert(out.problems.end(), tss.problems.begin(), tss.problems.end());
        out.not_judged.insert(out.not_judged.end(), tss.not_judged.begin(), tss.not_judged.end());
        out.tss = tss.checked;
        return out;
    };
    // Every gate as the golden kernel leaves it (linux_idt.hpp).
    std::vector<std::string> idt_problems;
    if (idt_read) {
        binary::Bytes table(LinuxIdt::kTableBytes);
        std::memcpy(table.data(), &copy.words[idt_first], table.size());
        idt_problems = idt->check(table, r.placement.virtual_delta, golden.symbols());
        r.idt_gates = LinuxIdt::kVectors;
        if (!pv) {
            auto checked = check_idtrs(copy);
            r.idtrs_checked = checked.vcpus;
            r.tss_checked = checked.tss;
            idt_problems.insert(idt_problems.end(), checked.problems.begin(),
                                checked.problems.end());
            r.not_judged.insert(r.not_judged.end(), checked.not_judged.begin(),
                                checked.not_judged.end());
        }
    }
    // The slots hold runtime addresses; the sites are compared at link ones.
    PointerValues slots;
    for (std::size_t i = 0; i < slots_read; ++i)
        slots[word_va[i]] = copy.words[i] ? copy.words[i] - delta : 0;  // an empty slot stays 0
    // The keys' counts, judged only while jump_label_mutex is free.
    const std::span<const std::uint64_t> words(copy.words);
    const auto keys = static_key_counts(
        std::span<const std::uint64_t>(word_va).subspan(slots_read, keys_read - slots_read),
        words.subspan(slots_read, keys_read - slots_read), jump_label_owner);
    undo_relocations(copy.text, text.addr, r.placement.virtual_delta, golden.relocations());
    undo_relocations(copy.rodata, rodata.addr, r.placement.virtual_delta, golden.relocations());
    compare_with_golden(golden, std::move(copy), r,
                        {.pointers = &slots,
                         .static_keys = &keys.counts,
                         .virtual_delta = r.placement.virtual_delta});
    r.idt_problems = std::move(idt_problems);
    // A PV dom0's vCPUs hold Xen's CR0 (dom0's kernel runs in ring 3,
    // where WP does not apply): judged in Xen's inspection, not here.
    if (pv) r.write_protect_problems.clear(), r.vcpus_paging = 0;
    auto symbolize = [&](std::uint64_t va) { return golden.symbols().symbolize(va); };
    for (std::size_t i = 0; i < earlier.size(); ++i) {
        const auto at = "in pause " + std::to_string(i + 1) + " of " + std::to_string(r.pauses) +
                        " (" + earlier[i].second + "): ";
        // Page tables that did not map the copy then are a finding even
        // if they did by the last pause.
        if (r.mapping_problem.empty() && !earlier[i].first.mapping_problem.empty())
            r.mapping_problem = at + earlier[i].first.mapping_problem;
        // So are vCPU registers that were wrong then, unless still so.
        auto add_new = [&](std::vector<std::string>& to, const std::vector<std::string>& then) {
            const auto last = to;
            for (const auto& problem : then)
                if (std::find(last.begin(), last.end(), problem) == last.end())
                    to.push_back(at + problem);
        };
        if (!pv) add_new(r.write_protect_problems, earlier[i].first.write_protect_problems);
        if (idt_read && !pv) add_new(r.idt_problems, check_idtrs(earlier[i].first).problems);
        // Both copies carry the same relocations: compared raw, at link
        // addresses like every other region.
        report_changes_between_pauses(
            r.text, last_text, earlier[i].first.text, text.addr, golden.sites(), symbolize,
            at + "changed before the last pause, outside every patch site");
        report_changes_between_pauses(r.rodata, last_rodata, earlier[i].first.rodata, rodata.addr,
                                      {}, symbolize,
                                      at + "changed before the last pause (read-only after boot)");
    }
    return r;
}

nlohmann::json to_json(const LinuxInspection& r, const LinuxGolden& golden) {
    auto j = to_json(static_cast<const CodeInspection&>(r), golden);
    j["image"] = "linux";
    j["platform"] = platform_name(golden.platform());
    j["pauses"] = r.pauses;
    j["mutexes_held"] = r.mutexes_held;
    // null: only the vCPUs' page tables and init_top_pgt were checked.
    j["dom0_root_tables_checked"] =
        r.dom0_root_tables ? nlohmann::json(*r.dom0_root_tables) : nlohmann::json();
    j["dom0_vcpus_checked"] = r.dom0_vcpus ? nlohmann::json(*r.dom0_vcpus) : nlohmann::json();
    // Whether dom0's traps were held to the ones predicted from the golden
    // (else to function starts), and why not.
    if (golden.platform() == LinuxPlatform::xen_pv)
        j["dom0_traps_predicted"] = golden.pv_traps_unpredicted().empty()
                                        ? nlohmann::json(true)
                                        : nlohmann::json(golden.pv_traps_unpredicted());
    j["kaslr"] = {{"virtual_offset",
                   binary::hex_number(static_cast<std::uint64_t>(r.placement.virtual_delta))},
                  {"relocation_fields_agreeing", r.placement.delta_votes},
                  {"relocation_fields_read", r.placement.delta_voters}};
    // What the cross-site checks covered (docs/inspect.md).
    const auto& c = golden.coverage();
    j["sites_held_to_their_source"] = {
        {"paravirt", {{"sites", c.paravirt}, {"held_to_pv_ops_slot", c.paravirt_bound}}},
        {"static_call",
         {{"sites", c.static_calls}, {"held_to_trampoline", c.static_calls_with_trampoline}}},
        {"jump_label", {{"sites", c.jump_labels}, {"keys_read", c.jump_label_keys}}}};
    return j;
}

}  // namespace drtm::inspect
