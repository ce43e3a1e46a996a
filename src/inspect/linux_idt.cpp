#include "inspect/linux_idt.hpp"

#include <algorithm>
#include <cstring>

#include "binary/error.hpp"

namespace drtm::inspect {

namespace {

constexpr std::size_t kExceptionVectors = 32;       // NUM_EXCEPTION_VECTORS
constexpr std::size_t kFirstExternalVector = 0x20;  // FIRST_EXTERNAL_VECTOR
constexpr std::size_t kIdtDataSize = 24;            // struct idt_data
constexpr std::uint8_t kPushImm8 = 0x6A;
constexpr std::uint8_t kEndbr64[] = {0xF3, 0x0F, 0x1E, 0xFA};

template <typename T>
T load(const std::uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// struct idt_bits: ist:3, zero:5, type:5, dpl:2, p:1.
void decode_bits(std::uint16_t bits, IdtGate& g) {
    g.ist = bits & 7;
    g.type = (bits >> 8) & 0x1F;
    g.dpl = (bits >> 13) & 3;
    g.present = (bits >> 15) & 1;
}

class GoldenReader {
  public:
    GoldenReader(const image::ElfImage& elf, binary::ByteView file) : elf_(elf), file_(file) {}
    binary::ByteView at(std::uint64_t va, std::size_t n) const { return elf_.bytes_at(va, n); }
    std::size_t offset(binary::ByteView bytes) const {
        return static_cast<std::size_t>(bytes.data() - file_.data());
    }
    // The vector an IRQ or spurious stub at `va` pushes (`push $vector`,
    // after an endbr64 under IBT); empty when `va` holds no such stub.
    std::optional<std::uint8_t> stub_vector(std::uint64_t va) const {
        const auto b = at(va, 6);
        std::size_t i = std::equal(std::begin(kEndbr64), std::end(kEndbr64), b.begin()) ? 4 : 0;
        if (b[i] != kPushImm8) return std::nullopt;
        return b[i + 1];
    }

    // The vector an early handler at `va` pushes: [endbr64] [push $0]
    // push $vector.
    std::optional<std::size_t> early_stub_vector(std::uint64_t va) const {
        const auto b = at(va, 8);
        std::size_t i = std::equal(std::begin(kEndbr64), std::end(kEndbr64), b.begin()) ? 4 : 0;
        if (b[i] != kPushImm8) return std::nullopt;
        if (b[i + 1] == 0 && i + 3 < b.size() && b[i + 2] == kPushImm8 && b[i + 3] != 0)
            return b[i + 3];  // a dummy error code, then the vector
        return b[i + 1];
    }

  private:
    const image::ElfImage& elf_;
    binary::ByteView file_;
};

std::uint64_t require(const image::KernelSymbols& symbols, const char* name) {
    const auto at = symbols.address(name);
    if (!at)
        throw binary::ParseError(0, std::string("the golden kernel has idt_table but no ") + name +
                                        " (kallsyms): its IDT cannot be predicted");
    return *at;
}

// The trap table a Xen PV kernel registers (LinuxIdt::pv_traps), from the
// gates its start-up sets (`basis`, vectors 0-31 and those `named`).
std::optional<std::array<PvTrap, LinuxIdt::kVectors>> pv_trap_table(
    const GoldenReader& golden, const image::KernelSymbols& symbols,
    const std::array<ExpectedIdtGate, LinuxIdt::kVectors>& basis,
    const std::array<bool, LinuxIdt::kVectors>& named, std::uint64_t early,
    std::size_t early_size) {
    const auto trap_array = symbols.address("trap_array");
    const auto xen_early = symbols.address("xen_early_idt_handler_array");
    const auto unknown = symbols.address("xen_asm_exc_xen_unknown_trap");
    if (!trap_array || !xen_early || !unknown) return std::nullopt;
    // struct trap_array_entry { void (*orig)(void); void (*xen)(void);
    // bool ist_okay; }: 24 bytes, to the next symbol or zero padding.
    struct Replacement {
        std::uint64_t xen;
        bool ist_okay;
    };
    std::vector<std::pair<std::uint64_t, Replacement>> replacements;
    const auto end = symbols.next_after(*trap_array);
    for (std::uint64_t at = *trap_array; end && at + 24 <= *end; at += 24) {
        const auto e = golden.at(at, 24);
        const auto orig = load<std::uint64_t>(e.data()), xen = load<std::uint64_t>(e.data() + 8);
        if (!orig && !xen) break;
        if (!orig || !xen || e[16] > 1)
            throw binary::ParseError(golden.offset(e),
                                     "an entry of trap_array is not { orig, xen, ist_okay }");
        replacements.push_back({orig, {xen, e[16] == 1}});
    }
    if (replacements.empty())
        throw binary::ParseError(golden.offset(golden.at(*trap_array, 1)), "trap_array is empty");
    // The Xen early stubs: [endbr64] pop %rcx; pop %r11; jmp to the early
    // handler of the same vector; their size is the one at which all 32 do.
    std::size_t xen_early_size = 0;
    for (std::size_t size = 8; size <= 16 && !xen_early_size; ++size) {
        bool all = true;
        for (std::size_t v = 0; v < kExceptionVectors && all; ++v) {
            const auto at = *xen_early + v * size;
            auto b = golden.at(at, 8);
            const std::size_t i =
                std::equal(std::begin(kEndbr64), std::end(kEndbr64), b.begin()) ? 4 : 0;
            if (i) b = golden.at(at, 12);
            all = b[i] == 0x59 && b[i + 1] == 0x41 && b[i + 2] == 0x5B && b[i + 3] == 0xE9 &&
                  at + i + 8 + static_cast<std::int64_t>(load<std::int32_t>(b.data() + i + 4)) ==
                      early + v * early_size;
        }
        if (all) xen_early_size = size;
    }
    if (!xen_early_size)
        throw binary::ParseError(golden.offset(golden.at(*xen_early, 1)),
                                 "xen_early_idt_handler_array is not 32 stubs jumping to the "
                                 "early handlers");
    std::array<PvTrap, LinuxIdt::kVectors> traps{};
    for (std::size_t v = 0; v < LinuxIdt::kVectors; ++v) {
        if (v >= kExceptionVectors && !named[v]) continue;
        const auto& gate = basis[v];
        const auto r = std::find_if(replacements.begin(), replacements.end(),
                                    [&](const auto& e) { return e.first == gate.target; });
        std::uint64_t address = 0;
        if (r != replacements.end()) {
            if (gate.ist == 0 || r->second.ist_okay) address = r->second.xen;
        } else if (gate.target >= early && gate.target < early + kExceptionVectors * early_size &&
                   (gate.target - early) % early_size == 0) {
            address = *xen_early + (gate.target - early) / early_size * xen_early_size;
        } else {
            address = *unknown;
        }
        // The golden's gates are all interrupt gates (checked as read).
        if (address)
            traps[v] = {address, static_cast<std::uint8_t>(gate.dpl | PvTrap::kMasksEvents)};
    }
    return traps;
}

}  // namespace

IdtGate decode_idt_gate(binary::ByteView b) {
    IdtGate g;
    g.target = load<std::uint16_t>(b.data()) |
               std::uint64_t{load<std::uint16_t>(b.data() + 6)} << 16 |
               std::uint64_t{load<std::uint32_t>(b.data() + 8)} << 32;
    g.segment = load<std::uint16_t>(b.data() + 2);
    decode_bits(load<std::uint16_t>(b.data() + 4), g);
    return g;
}

std::optional<LinuxIdt> LinuxIdt::from_golden(const image::ElfImage& elf, binary::ByteView elf_file,
                                              const image::KernelSymbols& symbols) {
    const auto table = symbols.address("idt_table");
    if (!table) return std::nullopt;
    LinuxIdt idt;
    idt.table_ = *table;
    const GoldenReader golden(elf, elf_file);
    auto& expected = idt.expected_;

    // Layouts this prediction does not follow: refused, not misjudged.
    for (const auto& [name, why] :
         {std::pair{"ist_idts", "a kernel before 5.14, which applies ist_idts after def_idts"},
          std::pair{"ia32_idt",
                    "Linux 6.7 or later, whose int 0x80 gate depends on ia32_emulation= at boot"},
          std::pair{"asm_fred_entrypoint_user", "a kernel with FRED, which may not use the IDT"}})
        if (const auto at = symbols.address(name))
            throw binary::ParseError(0, std::string("the golden kernel has ") + name + " (" + why +
                                            "): its IDT is not predicted");

    // Vectors 0-31: the early handlers, one stub of equal size each,
    // pushing its vector (after a dummy error code where the CPU pushes
    // none); the size is the one at which all 32 decode.
    const auto early = require(symbols, "early_idt_handler_array");
    std::size_t early_size = 0;
    for (std::size_t size = 9; size <= 32 && !early_size; ++size) {
        bool all = true;
        for (std::size_t v = 0; v < kExceptionVectors && all; ++v)
            all = golden.early_stub_vector(early + v * size) == v;
        if (all) early_size = size;
    }
    if (!early_size)
        throw binary::ParseError(golden.offset(golden.at(early, 1)),
                                 "early_idt_handler_array is not 32 push-vector stubs of one size");
    for (std::size_t v = 0; v < kExceptionVectors; ++v)
        expected[v] = {.target = early + v * early_size, .origin = "early handler"};

    // The tables, in the order start-up applies them.
    std::array<bool, kVectors> named{};
    // What a Xen PV kernel's start-up sets: all but apic_idts and the stubs.
    std::array<ExpectedIdtGate, kVectors> pv_basis{};
    std::array<bool, kVectors> pv_named{};
    for (const char* name : {"early_idts", "early_pf_idts", "def_idts", "apic_idts"}) {
        if (std::string_view(name) == "apic_idts") pv_basis = expected, pv_named = named;
        const auto start = symbols.address(name);
        if (!start)  // every x86-64 kernel from 5.14 has all four
            throw binary::ParseError(0, std::string("the golden kernel has idt_table but no ") +
                                            name + ": its IDT is not predicted");
        const auto next = symbols.next_after(*start);
        if (!next || *next - *start < kIdtDataSize)
            throw binary::ParseError(golden.offset(golden.at(*start, 1)),
                                     std::string(name) + " holds no struct idt_data");
        for (std::uint64_t at = *start; at + kIdtDataSize <= *next; at += kIdtDataSize) {
            const auto e = golden.at(at, kIdtDataSize);
            if (std::all_of(e.begin(), e.end(), [](auto b) { return b == 0; }))
                break;  // alignment padding after the last entry
            const auto vector = load<std::uint32_t>(e.data());
            const auto segment = load<std::uint32_t>(e.data() + 4);
            IdtGate bits;
            decode_bits(load<std::uint16_t>(e.data() + 8), bits);
            const auto handler = load<std::uint64_t>(e.data() + 16);
            if (vector >= kVectors || segment != kKernelCodeSegment || !bits.present ||
                bits.type != kInterruptGate || !handler)
                throw binary::ParseError(
                    golden.offset(e), std::string("entry ") + std::to_string((at - *start) / 24) +
                                          " of " + name +
                                          " is not an interrupt gate of the kernel's code "
                                          "segment (struct idt_data)");
            expected[vector] = {
                .target = handler, .ist = bits.ist, .dpl = bits.dpl, .origin = name};
            named[vector] = true;
        }
    }

    // The stubs: IDT_ALIGN bytes each, pushing their vector; the system
    // vectors' block may start past padding, and its first stub names the
    // first system vector.
    const auto irq = require(symbols, "irq_entries_start");
    const auto spurious = require(symbols, "spurious_entries_start");
    std::size_t align = 0;
    for (std::size_t a : {8, 16, 32})
        if (golden.stub_vector(irq + a) == kFirstExternalVector + 1) {
            align = a;
            break;
        }
    const auto first_system = golden.stub_vector(spurious).value_or(0);
    if (!align || first_system <= kFirstExternalVector ||
        spurious < irq + (first_system - kFirstExternalVector) * align)
        throw binary::ParseError(golden.offset(golden.at(irq, 1)),
                                 "irq_entries_start and spurious_entries_start do not hold one "
                                 "push-vector stub per vector");
    auto stub = [&](std::size_t v) {
        return v < first_system ? irq + (v - kFirstExternalVector) * align
                                : spurious + (v - first_system) * align;
    };
    for (std::size_t v = kFirstExternalVector; v < kVectors; ++v)
        if (golden.stub_vector(stub(v)) != static_cast<std::uint8_t>(v))
            throw binary::ParseError(
                golden.offset(golden.at(stub(v), 1)),
                "the stub for vector " + std::to_string(v) + " does not push it");
    for (std::size_t v = kFirstExternalVector; v < kVectors; ++v) {
        if (named[v]) continue;
        if (v < first_system)
            expected[v] = {.target = stub(v), .origin = "IRQ stub"};
        else
            expected[v] = {.target = stub(v), .origin = "spurious stub", .allocatable = true};
    }
    idt.pv_traps_ = pv_trap_table(golden, symbols, pv_basis, pv_named, early, early_size);
    for (const auto& s : symbols.all())
        if ((s.type == 'T' || s.type == 't') && s.name.starts_with("asm_sysvec_"))
            idt.runtime_handlers_.push_back(s.address);
    std::sort(idt.runtime_handlers_.begin(), idt.runtime_handlers_.end());
    return idt;
}

std::vector<std::string> LinuxIdt::check(binary::ByteView table_bytes, std::int64_t delta,
                                         const image::KernelSymbols& symbols) const {
    std::vector<std::string> problems;
    if (table_bytes.size() != kTableBytes) {
        problems.push_back("the IDT was not read whole (" + std::to_string(table_bytes.size()) +
                           " of " + std::to_string(kTableBytes) + " bytes)");
        return problems;
    }
    for (std::size_t v = 0; v < kVectors; ++v) {
        const auto gate = decode_idt_gate(table_bytes.subspan(v * 16, 16));
        const auto& want = expected_[v];
        const auto at = "IDT vector " + std::to_string(v) + ": ";
        const auto golden_sets =
            "the golden kernel sets " + symbols.symbolize(want.target) + " (" + want.origin + ")";
        if (!gate.present) {
            problems.push_back(at + "not present, where " + golden_sets);
            continue;
        }
        if (gate.segment != kKernelCodeSegment || gate.type != kInterruptGate) {
            problems.push_back(at + "segment " + binary::hex_number(gate.segment) + ", type " +
                               binary::hex_number(gate.type) +
                               "; Linux sets every gate to an interrupt gate of __KERNEL_CS");
            continue;
        }
        const auto link = gate.target - static_cast<std::uint64_t>(delta);
        const bool allocated =
            link != want.target && want.allocatable &&
            std::binary_search(runtime_handlers_.begin(), runtime_handlers_.end(), link);
        if (link != want.target && !allocated) {
            problems.push_back(at + "points at " + symbols.symbolize(link) + ", where " +
                               golden_sets);
            continue;
        }
        const std::uint8_t ist = allocated ? 0 : want.ist, dpl = allocated ? 0 : want.dpl;
        if (gate.dpl != dpl)
            problems.push_back(at + "DPL " + std::to_string(gate.dpl) +
                               (gate.dpl == 3 ? " (user mode may raise it with int)" : "") +
                               ", where the golden kernel's is " + std::to_string(dpl));
        else if (gate.ist != ist)
            problems.push_back(at + "interrupt stack " + std::to_string(gate.ist) +
                               ", where the golden kernel's is " + std::to_string(ist));
    }
    return problems;
}

std::string idtr_problem(const DescriptorTableRegister& idtr) {
    constexpr std::uint32_t kLimit = LinuxIdt::kTableBytes - 1;
    // A longer limit reaches past vector 255, which no event uses: KVM
    // leaves 0xffff after a VM exit.
    if (idtr.base == kCpuEntryAreaIdt && idtr.limit >= kLimit) return "";
    return "IDTR holds base " + binary::hex_number(idtr.base) + " limit " +
           binary::hex_number(idtr.limit) + ", where the golden kernel loads its IDT's read-only " +
           "alias " + binary::hex_number(kCpuEntryAreaIdt) + " limit " + binary::hex_number(kLimit);
}

std::string pv_trap_flags_problem(std::uint8_t found, std::uint8_t expected) {
    std::string out;
    auto add = [&](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
    if ((found & 3) != (expected & 3))
        add("DPL " + std::to_string(found & 3) +
            ((found & 3) == 3 ? " (dom0's user mode may raise it with int)" : "") +
            ", where the golden kernel's is " + std::to_string(expected & 3));
    if ((found & PvTrap::kMasksEvents) != (expected & PvTrap::kMasksEvents))
        add(found & PvTrap::kMasksEvents
                ? "events masked on entry, where the golden kernel's gate leaves them enabled"
                : "events left enabled on entry, where the golden kernel's interrupt gate masks "
                  "them");
    if (out.empty() && found != expected)
        add("flags " + binary::hex_number(found) + ", where the golden kernel's are " +
            binary::hex_number(expected));
    return out;
}

}  // namespace drtm::inspect
