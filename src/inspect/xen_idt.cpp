#include "inspect/xen_idt.hpp"

#include <algorithm>
#include <cstring>
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
    {0, "divide_error", 0, 0, false},
    {1, "debug", 0, 3, false},
    {2, "nmi", 0, 2, false},
    {3, "int3", 3, 0, false},
    {4, "overflow", 3, 0, false},
    {5, "bounds", 0, 0, false},
    {6, "invalid_op", 0, 0, false},
    {7, "device_not_available", 0, 0, false},
    {8, "double_fault", 0, 4, false},
    {10, "invalid_TSS", 0, 0, false},
    {11, "segment_not_present", 0, 0, false},
    {12, "stack_segment", 0, 0, false},
    {13, "general_protection", 0, 0, false},
    {14, "page_fault", 0, 0, false},  // trap_init's, replacing early_page_fault
    {16, "coprocessor_error", 0, 0, false},
    {17, "alignment_check", 0, 0, false},
    {18, "machine_check", 0, 1, false},
    {19, "simd_coprocessor_error", 0, 0, false},
    {21, "entry_CP", 0, 0, false},
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

std::vector<std::string> XenIdt::check(binary::ByteView table_bytes,
                                       const image::KernelSymbols& symbols,
                                       const std::string& whose, bool offline) const {
    std::vector<std::string> problems;
    if (table_bytes.size() != kTableBytes) {
        problems.push_back(whose + "'s IDT was not read whole");
        return problems;
    }
    std::array<IdtGate, kVectors> gates;
    for (std::size_t v = 0; v < kVectors; ++v)
        gates[v] = decode_idt_gate(table_bytes.subspan(v * 16, 16));
    const auto parked_nmi = [&](std::size_t v) {
        return offline && v == kNmiVector && is_play_dead_nmi(gates[v]);
    };
    // disable_each_ist takes every stack away at once: a gate without its
    // stack passes only when every other gate that has one is without too.
    bool stacks_taken = true;
    for (std::size_t v = 0; v < kVectors; ++v)
        if (expected_[v].ist && gates[v].ist && !parked_nmi(v)) stacks_taken = false;
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
        } else if (gate.ist != want.ist && !(gate.ist == 0 && stacks_taken)) {
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

// The TSS `read`'s TR points at, held to Xen's CPU `cpu`'s.
void judge_tss(const XenVcpuIdt& read, const XenCpus& cpus, std::size_t cpu,
               const std::string& whose, XenIdtVerdict& r) {
    if (!read.tr || cpu >= cpus.stack_bases.size() || cpu >= cpus.per_cpu_offsets.size()) return;
    const auto& tr = *read.tr;
    const auto cpu_name = "Xen's CPU " + std::to_string(cpu);
    const auto expected = cpus.tss_page + cpus.per_cpu_offsets[cpu] + XenTss::kOffsetInPage;
    if (tr.base != expected)
        r.problems.push_back(whose + "'s TR points at " + binary::hex_number(tr.base) + ", where " +
                             cpu_name + "'s TSS is " + binary::hex_number(expected) +
                             " (tss_page)");
    if (tr.limit < XenTss::kBytes - 1) {
        r.problems.push_back(whose + "'s TR limit is " + binary::hex_number(tr.limit) +
                             ", short of a 64-bit TSS (0x67)");
        return;
    }
    if (read.tss.empty()) {
        r.problems.push_back(whose + "'s TR points at " + binary::hex_number(tr.base) +
                             ", which Xen's page tables do not map");
        return;
    }
    auto problems =
        XenTss::check(read.tss, cpus.stack_bases[cpu], whose + "'s TSS (" + cpu_name + ")");
    r.problems.insert(r.problems.end(), problems.begin(), problems.end());
    ++r.tss_checked;
}

}  // namespace

std::vector<std::string> XenTss::check(binary::ByteView tss, std::uint64_t stack,
                                       const std::string& whose) {
    if (tss.size() != kBytes) return {whose + ": not read whole"};
    auto u64 = [&](std::size_t offset) {
        std::uint64_t v = 0;
        std::memcpy(&v, tss.data() + offset, 8);
        return v;
    };
    constexpr std::uint64_t kPage = 4096;
    std::vector<std::string> problems;
    const auto block = " (stack_base " + binary::hex_number(stack) + ")";
    // rsp0: the primary stack's bottom, get_stack_bottom(), inside the
    // block's last page (the struct cpu_info at its top).
    const auto rsp0 = u64(4);
    if (rsp0 <= stack + kStackSize - kPage || rsp0 > stack + kStackSize)
        problems.push_back(whose + ": rsp0 is " + binary::hex_number(rsp0) +
                           ", off the CPU's primary stack" + block);
    for (std::size_t i = 0; i < 2; ++i)
        if (const auto v = u64(12 + 8 * i); v != kPoison)
            problems.push_back(whose + ": rsp" + std::to_string(i + 1) + " is " +
                               binary::hex_number(v) + ", where Xen poisons it (" +
                               binary::hex_number(kPoison) + ")");
    // ist[n - 1] = stack + (1 + n) pages: IST_MCE 1, IST_NMI 2, IST_DB 3,
    // IST_DF 4, the last lowered by the cpu_user_regs fields after es
    // (the #DF handler writes them).
    constexpr const char* kNames[] = {"#MC", "NMI", "#DB", "#DF"};
    for (std::size_t n = 1; n <= 7; ++n) {
        const auto v = u64(36 + 8 * (n - 1));
        const auto at = whose + ": IST " + std::to_string(n);
        if (n > 4) {
            if (v != kPoison)
                problems.push_back(at + " is " + binary::hex_number(v) +
                                   ", where Xen poisons it (" + binary::hex_number(kPoison) + ")");
            continue;
        }
        const auto top = stack + (1 + n) * kPage;
        const bool ok = n == 4 ? (v <= top && v + 256 >= top) : v == top;
        if (!ok)
            problems.push_back(at + " (" + kNames[n - 1] + ") is " + binary::hex_number(v) +
                               ", where Xen's is " + (n == 4 ? "just below " : "") +
                               binary::hex_number(top) + ", the top of page " + std::to_string(n) +
                               " of the CPU's stack block" + block);
    }
    std::uint16_t bitmap = 0;
    std::memcpy(&bitmap, tss.data() + 102, 2);
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
            "which of Xen's CPUs each IDTR belongs to, and whether it is "
            "online: " +
            why);
    for (const auto& read : vcpus) {
        const auto whose = "vCPU " + std::to_string(read.cpu_index);
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
        if (cpus) {
            const auto& tables = cpus->idt_tables;
            const auto it = std::find(tables.begin(), tables.end(), read.idtr.base);
            if (it == tables.end()) {
                r.problems.push_back(whose + "'s IDTR points at " +
                                     binary::hex_number(read.idtr.base) +
                                     ", none of the IDTs Xen keeps for its " +
                                     std::to_string(tables.size()) + " CPU(s) (idt_tables)");
            } else {
                const auto cpu = static_cast<std::size_t>(it - tables.begin());
                offline = !cpus->online(cpu);
                judge_tss(read, *cpus, cpu, whose, r);
            }
        }
        auto problems = check(read.table, symbols, whose, offline);
        r.problems.insert(r.problems.end(), problems.begin(), problems.end());
        r.gates_checked += kVectors;
    }
    return r;
}

XenVcpuIdt read_vcpu_idt(const GuestMemory& ram, const XenVirtualMemory& xen,
                         const PausedVcpu& vcpu) {
    XenVcpuIdt r{
        vcpu.cpu_index, vcpu.idtr.value_or(DescriptorTableRegister{}), {}, {}, vcpu.tr, {}};
    if (vcpu.tr) {
        binary::Bytes tss(XenTss::kBytes);
        if (xen.copy(ram, vcpu.tr->base, tss)) r.tss = std::move(tss);
    }
    binary::Bytes table(XenIdt::kTableBytes);
    if (!xen.copy(ram, r.idtr.base, table)) return r;
    r.table = std::move(table);
    const auto cr3 = vcpu.paging.cr3;
    for (std::uint64_t va = r.idtr.base; va < r.idtr.base + XenIdt::kTableBytes;
         va = (va | 0xFFF) + 1) {
        const auto own = translate(ram, cr3, va), xens = translate(ram, xen.idle_pg_table(), va);
        if (!own) {
            r.own_mapping_problem = "the page tables in its CR3 (" + binary::hex_number(cr3) +
                                    ") do not map " + binary::hex_number(va);
        } else if (xens && own->physical != xens->physical) {
            r.own_mapping_problem = "the page tables in its CR3 (" + binary::hex_number(cr3) +
                                    ") map " + binary::hex_number(va) + " to physical " +
                                    binary::hex_number(own->physical) + ", where Xen's own map " +
                                    binary::hex_number(xens->physical);
        }
        if (!r.own_mapping_problem.empty()) break;
    }
    return r;
}

XenCpuRecord XenCpuRecord::locate(const GoldenCode& golden, const GuestMemory& ram,
                                  const XenVirtualMemory& xen) {
    XenCpuRecord r;
    r.idt_tables_ = golden.symbols().require("idt_tables");
    r.cpu_online_map_ = golden.symbols().require("cpu_online_map");
    r.stack_base_ = golden.symbols().require("stack_base");
    r.per_cpu_offset_ = golden.symbols().require("__per_cpu_offset");
    r.tss_page_ = golden.symbols().require("per_cpu__tss_page");
    const auto cpus = xen.read(ram, golden.symbols().require("nr_cpu_ids"), 4, "nr_cpu_ids");
    // NR_CPUS is at most 4095 (xen/arch/Kconfig).
    if (cpus == 0 || cpus > 4095)
        throw std::runtime_error("nr_cpu_ids holds " + std::to_string(cpus) +
                                 ", where Xen has 1 to 4095 CPUs");
    r.cpus_ = cpus;
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
    r.stack_bases.resize(cpus_);
    r.per_cpu_offsets.resize(cpus_);
    if (!xen.copy(ram, stack_base_, bytes(r.stack_bases)))
        throw std::runtime_error("stack_base is not mapped by Xen's page tables");
    if (!xen.copy(ram, per_cpu_offset_, bytes(r.per_cpu_offsets)))
        throw std::runtime_error("__per_cpu_offset is not mapped by Xen's page tables");
    r.tss_page = tss_page_;
    return r;
}

}  // namespace drtm::inspect
