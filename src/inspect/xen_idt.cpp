#include "inspect/xen_idt.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

#include "inspect/guest_page_tables.hpp"
#include "inspect/xen_release.hpp"

namespace drtm::inspect {

namespace {

// The gates Xen 4.17 sets by hand: vector, handler, DPL (3: guests may
// raise it with int; 1: 32-bit PV kernels), and the interrupt stack
// enable_each_ist gives it (IST_MCE 1, IST_NMI 2, IST_DB 3, IST_DF 4).
struct HandSetGate {
    std::uint8_t vector;
    const char* handler;
    std::uint8_t dpl, ist;
    bool optional = false;   // only in builds with CONFIG_PV32
    bool trap_gate = false;  // a trap gate before 4.17.3 (XSA-446)
};
constexpr HandSetGate kHandSet[] = {
    {0, "divide_error", 0, 0},
    {1, "debug", 0, 3},
    {2, "nmi", 0, 2},
    {3, "int3", 3, 0},
    {4, "overflow", 3, 0},
    {5, "bounds", 0, 0},
    {6, "invalid_op", 0, 0},
    {7, "device_not_available", 0, 0},
    {8, "double_fault", 0, 4},
    {10, "invalid_TSS", 0, 0},
    {11, "segment_not_present", 0, 0},
    {12, "stack_segment", 0, 0},
    {13, "general_protection", 0, 0},
    {14, "page_fault", 0, 0},  // trap_init's, replacing early_page_fault
    {16, "coprocessor_error", 0, 0},
    {17, "alignment_check", 0, 0},
    {18, "machine_check", 0, 1},
    {19, "simd_coprocessor_error", 0, 0},
    {21, "entry_CP", 0, 0},
    {0x80, "int80_direct_trap", 3, 0, false, true},  // LEGACY_SYSCALL_VECTOR
    {0x82, "entry_int82", 1, 0, true, true},         // HYPERCALL_VECTOR
};

}  // namespace

XenIdt XenIdt::from_golden(const GoldenCode& golden) {
    const auto release = xen_release(golden.symbols(), [&](std::uint64_t va, std::size_t n) {
        return golden.elf().bytes_at(va, n);
    });
    if (release.major != 4 || release.minor != 17)
        throw std::runtime_error(
            "the gates Xen sets by hand are known for Xen 4.17; the golden "
            "image is Xen " +
            release.text());
    const auto autogen = golden.symbols().address("autogen_entrypoints");
    if (!autogen) throw std::runtime_error("the golden Xen has no autogen_entrypoints");
    return from_tables(golden.symbols(), golden.elf().bytes_at(*autogen, kVectors * 8),
                       release.patch());
}

XenIdt XenIdt::from_tables(const image::KernelSymbols& symbols, binary::ByteView table,
                           std::optional<unsigned> patch) {
    if (table.size() != kVectors * 8)
        throw std::runtime_error("the golden Xen's autogen_entrypoints is not 256 entries");
    XenIdt idt;
    idt.types_.fill(kInterruptOnly);
    idt.trap_nop_ = symbols.address("trap_nop").value_or(0);
    std::array<bool, kVectors> filled{};
    for (std::size_t v = 0; v < kVectors; ++v) {
        std::uint64_t entry = 0;
        std::memcpy(&entry, table.data() + 8 * v, 8);
        if (!entry) continue;
        idt.expected_[v] = {.target = entry, .origin = "autogen_entrypoints"};
        filled[v] = true;
    }
    for (const auto& gate : kHandSet) {
        const auto handler = symbols.address(gate.handler);
        if (!handler) {
            if (gate.optional) continue;
            throw std::runtime_error(std::string("the golden Xen has no ") + gate.handler +
                                     ", which Xen 4.17 sets in IDT vector " +
                                     std::to_string(gate.vector));
        }
        if (filled[gate.vector])
            throw std::runtime_error("IDT vector " + std::to_string(gate.vector) +
                                     " has both an autogen_entrypoints stub and " + gate.handler +
                                     ": not Xen 4.17's IDT");
        idt.expected_[gate.vector] = {
            .target = *handler, .ist = gate.ist, .dpl = gate.dpl, .origin = "set by hand"};
        // XSA-446 (4.17.3) made these interrupt gates; before it they were
        // trap gates, but for 0x80 under XPTI, which rewrote it to an
        // interrupt gate. Of a build between releases, or a release not
        // known, either.
        if (gate.trap_gate) {
            if (!patch)
                idt.types_[gate.vector] = kInterruptOrTrap;
            else if (*patch < 3)
                idt.types_[gate.vector] = gate.vector == 0x80 ? kInterruptOrTrap : kTrapOnly;
        }
        filled[gate.vector] = true;
    }
    for (std::size_t v = 0; v < kVectors; ++v)
        if (!filled[v])
            throw std::runtime_error("IDT vector " + std::to_string(v) +
                                     " has neither an autogen_entrypoints stub nor a handler Xen "
                                     "4.17 sets by hand");
    return idt;
}

bool XenIdt::is_play_dead_nmi(const IdtGate& gate) const {
    return trap_nop_ && gate.present && gate.target == trap_nop_ &&
           gate.segment == kHypervisorCodeSegment && gate.type == LinuxIdt::kInterruptGate &&
           gate.dpl == 0 && gate.ist == 0;
}

std::array<IdtGate, XenIdt::kVectors> XenIdt::decode(binary::ByteView table_bytes) {
    std::array<IdtGate, kVectors> gates;
    for (std::size_t v = 0; v < kVectors; ++v)
        gates[v] = decode_idt_gate(table_bytes.subspan(v * 16, 16));
    return gates;
}

bool XenIdt::stacks_taken(const std::array<IdtGate, kVectors>& gates, bool offline) const {
    for (std::size_t v = 0; v < kVectors; ++v) {
        if (!expected_[v].ist) continue;
        if (offline && v == kNmiVector && is_play_dead_nmi(gates[v])) continue;
        if (gates[v].ist) return false;
    }
    return true;
}

bool XenIdt::interrupt_stacks_taken(binary::ByteView table_bytes, bool offline) const {
    return table_bytes.size() == kTableBytes && stacks_taken(decode(table_bytes), offline);
}

std::vector<std::string> XenIdt::check(binary::ByteView table_bytes,
                                       const image::KernelSymbols& symbols,
                                       const std::string& whose, bool offline) const {
    std::vector<std::string> problems;
    if (table_bytes.size() != kTableBytes) {
        problems.push_back(whose + "'s IDT was not read whole");
        return problems;
    }
    const auto gates = decode(table_bytes);
    const auto parked_nmi = [&](std::size_t v) {
        return offline && v == kNmiVector && is_play_dead_nmi(gates[v]);
    };
    // disable_each_ist takes every stack away at once: a gate without its
    // stack passes only when every other gate that has one is without too.
    const bool taken = stacks_taken(gates, offline);
    for (std::size_t v = 0; v < kVectors; ++v) {
        const auto& gate = gates[v];
        const auto& want = expected_[v];
        if (parked_nmi(v)) continue;
        const auto at = whose + "'s IDT vector " + std::to_string(v) + ": ";
        const auto golden_sets =
            "the golden Xen sets " + symbols.symbolize(want.target) + " (" + want.origin + ")";
        const bool type_allowed = gate.type < 16 && (types_[v] >> gate.type & 1);
        if (!gate.present) {
            problems.push_back(at + "not present, where " + golden_sets);
        } else if (gate.segment != kHypervisorCodeSegment || !type_allowed) {
            problems.push_back(at + "segment " + binary::hex_number(gate.segment) + ", type " +
                               binary::hex_number(gate.type) + "; Xen sets " +
                               (types_[v] == kInterruptOnly ? "an interrupt gate"
                                : types_[v] == kTrapOnly    ? "a trap gate"
                                                            : "an interrupt or trap gate") +
                               " of __HYPERVISOR_CS here");
        } else if (gate.target != want.target) {
            problems.push_back(at + "points at " + symbols.symbolize(gate.target) + ", where " +
                               golden_sets);
        } else if (gate.dpl != want.dpl) {
            problems.push_back(at + "DPL " + std::to_string(gate.dpl) +
                               (gate.dpl == 3 ? " (a guest may raise it with int)" : "") +
                               ", where the golden Xen's is " + std::to_string(want.dpl));
        } else if (gate.ist != want.ist && !(gate.ist == 0 && taken)) {
            problems.push_back(
                at + "interrupt stack " + (gate.ist ? std::to_string(gate.ist) : "none") +
                ", where the golden Xen's is " + std::to_string(want.ist) +
                (gate.ist ? (want.ist ? " (or none)" : "")
                          : " (Xen takes the four stacks away together, and another gate has "
                            "its own)"));
        }
    }
    return problems;
}

namespace {

constexpr std::uint64_t kPage = 4096;

// Empty when the page tables at `cr3` map [va, va + size) where Xen's
// idle_pg_table does; else what they do instead.
std::string mapped_elsewhere(const GuestMemory& ram, std::uint64_t cr3, std::uint64_t idle,
                             std::uint64_t va, std::size_t size) {
    for (std::uint64_t at = va; at < va + size; at = (at | 0xFFF) + 1) {
        const auto own = translate(ram, cr3, at), xens = translate(ram, idle, at);
        if (!own)
            return "the page tables in its CR3 (" + binary::hex_number(cr3) + ") do not map " +
                   binary::hex_number(at);
        if (xens && own->physical != xens->physical)
            return "the page tables in its CR3 (" + binary::hex_number(cr3) + ") map " +
                   binary::hex_number(at) + " to physical " + binary::hex_number(own->physical) +
                   ", where Xen's own map " + binary::hex_number(xens->physical);
    }
    return "";
}

std::uint64_t tss_address(const XenCpus& cpus, std::size_t cpu) {
    return cpus.tss_page + cpus.per_cpu_offsets[cpu] + XenTss::kOffsetInPage;
}

// The TR of `read` and its CPU's TSS, held to what Xen loads.
void judge_tss(const XenVcpuIdt& read, const XenCpus& cpus, bool stacks_taken,
               const std::string& whose, XenIdtVerdict& r) {
    const auto cpu = *read.cpu;
    const auto cpu_name = "Xen's CPU " + std::to_string(cpu);
    const auto expected = tss_address(cpus, cpu);
    // SVM: while an HVM vCPU is loaded the CPU holds the guest's TR
    // (VMLOAD), and Xen runs in ring 0 without interrupt stacks until it
    // switches back (svm_ctxt_switch_from). In a PV guest's context (ring
    // 1 or 3) Xen's TR must be loaded.
    const bool guest_tr = stacks_taken && read.state.cpl == 0u && read.state.efer &&
                          (*read.state.efer & VcpuState::kEferSvme);
    if (read.tr && read.tr->selector == 0) {
        // LTR cannot load a null selector: only INIT (an AP before
        // load_system_tables) or a resume from S3 leaves it so.
        r.not_judged.push_back(whose +
                               "'s TR is empty: Xen is bringing the CPU online or resuming it");
    } else if (read.tr && guest_tr) {
        r.not_judged.push_back(whose +
                               "'s TR: its CPU runs in Xen with SVM on and without interrupt "
                               "stacks, as while an HVM vCPU's TR is loaded");
    } else if (read.tr) {
        const auto& tr = *read.tr;
        const bool same =
            tr.base_low_half_only ? tr.base == (expected & 0xffffffffu) : tr.base == expected;
        if (!same)
            r.problems.push_back(whose + "'s TR points at " + binary::hex_number(tr.base) +
                                 (tr.base_low_half_only ? " (low half)" : "") + ", where " +
                                 cpu_name + "'s TSS is " + binary::hex_number(expected) +
                                 " (tss_page)");
        if (tr.limit != XenTss::kBytes - 1 || tr.selector != XenTss::kSelector)
            r.problems.push_back(whose + "'s TR holds selector " + binary::hex_number(tr.selector) +
                                 ", limit " + binary::hex_number(tr.limit) + ", where Xen loads " +
                                 binary::hex_number(XenTss::kSelector) +
                                 ", 0x67 (a larger limit would let its I/O bitmap in)");
    }
    if (read.tss.empty()) {
        r.problems.push_back(cpu_name + "'s TSS at " + binary::hex_number(expected) +
                             " is not mapped by Xen's page tables");
        return;
    }
    if (!read.tss_mapping_problem.empty())
        r.problems.push_back(whose + "'s TSS: " + read.tss_mapping_problem);
    auto problems =
        XenTss::check(read.tss, cpus.stack_bases[cpu], whose + "'s TSS (" + cpu_name + ")");
    r.problems.insert(r.problems.end(), problems.begin(), problems.end());
    ++r.tss_checked;
}

}  // namespace

std::vector<std::string> XenTss::check(binary::ByteView tss, std::uint64_t stack,
                                       const std::string& whose) {
    if (tss.size() != kBytes) return {whose + ": not read whole"};
    const auto block = binary::hex_number(stack);
    if (stack % kStackSize)
        return {whose + ": stack_base holds " + block +
                ", not a stack block (Xen allocates them 32 KiB-aligned)"};
    const auto state = decode_task_state(tss);
    std::vector<std::string> problems;
    // rsp0: the primary stack's bottom, get_stack_bottom(), inside the
    // block's last page (in the struct cpu_info at its top), 16-aligned.
    const auto rsp0 = state.rsp[0];
    if (rsp0 <= stack + kStackSize - kPage || rsp0 > stack + kStackSize || rsp0 % 16)
        problems.push_back(whose + ": rsp0 is " + binary::hex_number(rsp0) +
                           ", off the CPU's primary stack (the last page from stack_base " + block +
                           ")");
    for (std::size_t i = 0; i < 2; ++i)
        if (const auto v = state.rsp[1 + i]; v != kPoison)
            problems.push_back(whose + ": rsp" + std::to_string(i + 1) + " is " +
                               binary::hex_number(v) + ", where Xen poisons it (" +
                               binary::hex_number(kPoison) + ")");
    // ist[n - 1] = stack + (1 + n) pages (IST_MCE 1, IST_NMI 2, IST_DB 3,
    // IST_DF 4), #DF's lowered by the cpu_user_regs fields after es, which
    // its handler writes: es, ds, fs, gs (public xen-x86_64.h), 0x20 bytes.
    constexpr const char* kNames[] = {"#MC", "NMI", "#DB", "#DF"};
    for (std::size_t n = 1; n <= 7; ++n) {
        const auto v = state.ist[n - 1];
        const auto at = whose + ": IST " + std::to_string(n);
        if (n > 4) {
            if (v != kPoison)
                problems.push_back(at + " is " + binary::hex_number(v) +
                                   ", where Xen poisons it (" + binary::hex_number(kPoison) + ")");
            continue;
        }
        const auto offset = (1 + n) * kPage - (n == 4 ? kDoubleFaultFrame : 0);
        if (v != stack + offset)
            problems.push_back(at + " (" + kNames[n - 1] + ") is " + binary::hex_number(v) +
                               ", where Xen's is " + binary::hex_number(stack + offset) +
                               " (stack_base + " + binary::hex_number(offset) + ")");
    }
    const auto bitmap = state.io_bitmap_offset;
    if (bitmap != kNoIoBitmap)
        problems.push_back(whose + ": I/O bitmap offset " + binary::hex_number(bitmap) +
                           ", where Xen has none (" + binary::hex_number(kNoIoBitmap) + ")");
    return problems;
}

XenIdtVerdict XenIdt::judge(std::span<const XenVcpuIdt> vcpus, const std::optional<XenCpus>& cpus,
                            const std::string& why, const image::KernelSymbols& symbols) const {
    XenIdtVerdict r;
    if (!cpus)
        r.not_judged.push_back(
            "which of Xen's CPUs each IDTR belongs to, whether it is online, "
            "and its TSS: " +
            why);
    else if (!cpus->has_stacks())
        r.not_judged.push_back("the vCPUs' TSS: " + cpus->stacks_unread);
    // Offline CPUs whose IDT Xen freed (not parked, on AMD): as many halted
    // vCPUs may hold an IDTR that is none of Xen's.
    std::size_t freed = 0;
    if (cpus)
        for (std::size_t cpu = 0; cpu < cpus->idt_tables.size(); ++cpu)
            if (!cpus->idt_tables[cpu] && !cpus->online(cpu)) ++freed;
    std::map<std::size_t, int> vcpu_of;  // Xen's CPU → the vCPU running it
    for (const auto& read : vcpus) {
        const auto whose = "vCPU " + std::to_string(read.cpu_index);
        // Xen's trampoline runs an AP with an empty IDTR until
        // load_system_tables: an IDTR no interrupt can go through.
        if (read.idtr.base == 0 && read.idtr.limit == 0) {
            r.not_judged.push_back(whose + "'s IDTR (empty): Xen is bringing the CPU online");
            continue;
        }
        if (cpus && !read.cpu && freed && read.state.halted == true) {
            --freed;
            r.not_judged.push_back(whose + "'s IDT (" + binary::hex_number(read.idtr.base) +
                                   "): none of Xen's, and the vCPU is halted where Xen has freed "
                                   "an offline CPU's");
            continue;
        }
        ++r.idtrs_checked;
        if (read.table.empty()) {
            r.problems.push_back(whose + "'s IDTR points at " + binary::hex_number(read.idtr.base) +
                                 ", which Xen's page tables do not map");
            continue;
        }
        if (read.idtr.limit < kTableBytes - 1) {
            r.problems.push_back(whose + "'s IDTR limit is " + binary::hex_number(read.idtr.limit) +
                                 ", where Xen loads its whole table (0xfff)");
            continue;
        }
        if (!read.own_mapping_problem.empty())
            r.problems.push_back(whose + "'s IDT: " + read.own_mapping_problem);
        // Unknown, a CPU may be offline: play_dead's NMI gate is allowed
        // then (aimed at trap_nop, it runs nothing of an attacker's).
        bool offline = !cpus;
        if (cpus && !read.cpu)
            r.problems.push_back(whose + "'s IDTR points at " + binary::hex_number(read.idtr.base) +
                                 ", none of the IDTs Xen keeps for its " +
                                 std::to_string(cpus->idt_tables.size()) + " CPU(s) (idt_tables)");
        // One vCPU per CPU of Xen's, each on its own IDT and stacks; an AP
        // Xen is starting runs on CPU 0's IDT until it loads its own, with
        // no TR yet.
        if (read.cpu && !(read.tr && read.tr->selector == 0)) {
            if (const auto [other, fresh] = vcpu_of.emplace(*read.cpu, read.cpu_index); !fresh)
                r.problems.push_back(whose + " runs on Xen's CPU " + std::to_string(*read.cpu) +
                                     "'s IDT, as vCPU " + std::to_string(other->second) +
                                     " does: each CPU has its own, and its own stacks");
        }
        if (read.cpu) offline = !cpus->online(*read.cpu);
        auto problems = check(read.table, symbols, whose, offline);
        r.problems.insert(r.problems.end(), problems.begin(), problems.end());
        r.gates_checked += kVectors;
        if (read.cpu && cpus->has_stacks())
            judge_tss(read, *cpus, interrupt_stacks_taken(read.table, offline), whose, r);
    }
    return r;
}

XenVcpuIdt read_vcpu_idt(const GuestMemory& ram, const XenVirtualMemory& xen,
                         const PausedVcpu& vcpu, const XenCpus* cpus) {
    XenVcpuIdt r;
    r.cpu_index = vcpu.cpu_index;
    r.idtr = vcpu.idtr.value_or(DescriptorTableRegister{});
    r.tr = vcpu.tr;
    r.state = vcpu.state;
    binary::Bytes table(XenIdt::kTableBytes);
    if (!xen.copy(ram, r.idtr.base, table)) return r;
    r.table = std::move(table);
    const auto cr3 = vcpu.paging.cr3;
    r.own_mapping_problem =
        mapped_elsewhere(ram, cr3, xen.idle_pg_table(), r.idtr.base, XenIdt::kTableBytes);
    if (!cpus) return r;
    const auto& tables = cpus->idt_tables;
    const auto it = std::find(tables.begin(), tables.end(), r.idtr.base);
    if (it == tables.end()) return r;
    r.cpu = static_cast<std::size_t>(it - tables.begin());
    if (!cpus->has_stacks()) return r;
    // The CPU's own TSS, read where Xen keeps it whatever TR holds, and
    // held to the page the vCPU's CR3 maps there (XPTI's root_pgt maps it
    // on its own).
    const auto tss = tss_address(*cpus, *r.cpu);
    binary::Bytes bytes(XenTss::kBytes);
    if (!xen.copy(ram, tss, bytes)) return r;
    r.tss = std::move(bytes);
    r.tss_mapping_problem = mapped_elsewhere(ram, cr3, xen.idle_pg_table(), tss, XenTss::kBytes);
    return r;
}

XenCpuRecord XenCpuRecord::locate(const GoldenCode& golden, const GuestMemory& ram,
                                  const XenVirtualMemory& xen) {
    XenCpuRecord r;
    const auto& symbols = golden.symbols();
    r.idt_tables_ = symbols.require("idt_tables");
    r.cpu_online_map_ = symbols.require("cpu_online_map");
    const auto cpus = xen.read(ram, symbols.require("nr_cpu_ids"), 4, "nr_cpu_ids");
    // NR_CPUS is at most 4095 (xen/arch/Kconfig).
    if (cpus == 0 || cpus > 4095)
        throw std::runtime_error("nr_cpu_ids holds " + std::to_string(cpus) +
                                 ", where Xen has 1 to 4095 CPUs");
    r.cpus_ = cpus;
    // The stacks' record: without it the TSS alone goes unjudged.
    for (const char* name : {"stack_base", "__per_cpu_offset", "per_cpu__tss_page"})
        if (!symbols.address(name)) r.stacks_unread_ = std::string("the golden Xen has no ") + name;
    if (r.stacks_unread_.empty()) {
        r.stack_base_ = symbols.require("stack_base");
        r.per_cpu_offset_ = symbols.require("__per_cpu_offset");
        r.tss_page_ = symbols.require("per_cpu__tss_page");
    }
    return r;
}

XenCpus XenCpuRecord::read(const GuestMemory& ram, const XenVirtualMemory& xen) const {
    XenCpus r;
    r.idt_tables.resize(cpus_);
    r.online_words.resize((cpus_ + 63) / 64);
    auto bytes = [](auto& v) {
        return std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(v.data()), v.size() * 8);
    };
    if (!xen.copy(ram, idt_tables_, bytes(r.idt_tables)))
        throw std::runtime_error("idt_tables is not mapped by Xen's page tables");
    if (!xen.copy(ram, cpu_online_map_, bytes(r.online_words)))
        throw std::runtime_error("cpu_online_map is not mapped by Xen's page tables");
    r.stacks_unread = stacks_unread_;
    if (!r.stacks_unread.empty()) return r;
    r.stack_bases.resize(cpus_);
    r.per_cpu_offsets.resize(cpus_);
    if (!xen.copy(ram, stack_base_, bytes(r.stack_bases)) ||
        !xen.copy(ram, per_cpu_offset_, bytes(r.per_cpu_offsets))) {
        r.stacks_unread = "stack_base or __per_cpu_offset is not mapped by Xen's page tables";
        r.stack_bases.clear();
        r.per_cpu_offsets.clear();
        return r;
    }
    if (r.per_cpu_offsets[0] != 0) {
        // CPU 0's per-CPU area is the image's own (percpu.c).
        r.stacks_unread = "__per_cpu_offset[0] holds " + binary::hex_number(r.per_cpu_offsets[0]) +
                          ", where Xen's is 0";
        r.stack_bases.clear();
        r.per_cpu_offsets.clear();
        return r;
    }
    r.tss_page = tss_page_;
    return r;
}

}  // namespace drtm::inspect
