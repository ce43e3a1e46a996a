// Linux's IDT held to what the golden kernel leaves in it: a hand-built
// golden (struct idt_data tables, early handlers and push-vector stubs laid
// out as arch/x86/kernel/idt.c and entry_64.S lay them out) and gates
// encoded by hand from the x86-64 gate descriptor format (Intel SDM vol. 3,
// 6.14.1), not by the code under test.
#include "inspect/linux_idt.hpp"

#include <gtest/gtest.h>

#include "binary/error.hpp"
#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "support/tiny_elf.hpp"

using namespace drtm;

namespace {

constexpr std::uint64_t R = testsupport::kRodataAddr;
constexpr std::uint64_t kT = testsupport::kTextAddr;
// The golden's layout in .rodata (the parser reads bytes, not permissions).
constexpr std::uint64_t kEarly = R, kEarlyCommon = R + 32 * 9;
constexpr std::uint64_t kIrq = R + 0x200;
constexpr std::size_t kFirstSystem = 0xEC;
constexpr std::uint64_t kEarlyIdts = R + 0x1000, kEarlyPfIdts = R + 0x1030, kDefIdts = R + 0x1048,
                        kApicIdts = R + 0x1090;
// A Xen PV kernel's: trap_array and the Xen early stubs.
constexpr std::uint64_t kTrapArray = R + 0x1100, kXenEarly = R + 0x1200;
constexpr std::uint64_t kIdtTable = 0xffffffff83313000ull;
// Handlers, in .text by name only.
constexpr std::uint64_t kDivide = kT + 0x10, kInt3 = kT + 0x20, kDebug = kT + 0x30,
                        kPageFault = kT + 0x40, kTimer = kT + 0x50, kOther = kT + 0x60,
                        kSysvecX = kT + 0x70, kUnknownTrap = kT + 0x80, kXenDivide = kT + 0x90,
                        kXenDebug = kT + 0xA0, kXenInt3 = kT + 0xB0, kXenPageFault = kT + 0xC0;

void put(binary::Bytes& b, std::uint64_t at, std::initializer_list<std::uint8_t> bytes) {
    std::copy(bytes.begin(), bytes.end(), b.begin() + static_cast<std::ptrdiff_t>(at - R));
}
void put_le(binary::Bytes& b, std::uint64_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b[at - R + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
// struct idt_data { u32 vector, segment; u16 bits; 6 bytes pad; u64 addr }.
// bits: ist 0-2, type 8-12, dpl 13-14, p 15.
void idt_data(binary::Bytes& b, std::uint64_t at, std::uint32_t vector, std::uint8_t ist,
              std::uint8_t dpl, std::uint64_t handler, std::uint16_t segment = 0x10) {
    put_le(b, at, vector, 4);
    put_le(b, at + 4, segment, 4);
    put_le(b, at + 8, 0x8000u | (dpl << 13) | (0xEu << 8) | ist, 2);
    put_le(b, at + 16, handler, 8);
}

struct Golden {
    binary::Bytes elf_file;
    image::ElfImage elf;
    image::KernelSymbols symbols;
};

struct Shape {
    std::size_t align = 8;        // IDT_ALIGN (8, or 16 with an endbr64 in front of each stub)
    std::size_t padding = 0;      // between the IRQ and the spurious stubs
    bool bad_segment = false;     // a def_idts entry of another segment
    bool wrong_early = false;     // one early handler pushing another vector
    const char* extra = nullptr;  // one more symbol
    bool pv = false;              // with Xen PV support
    bool debug_ist_okay = true;   // trap_array lets #DB's Xen entry keep its IST
};

// 0x20 + (kFirstSystem - 0x20) stubs, the spurious ones after `padding`.
std::uint64_t spurious_at(const Shape& shape) {
    return kIrq + (kFirstSystem - 0x20) * shape.align + shape.padding;
}

std::unique_ptr<Golden> golden(const Shape& shape = {}) {
    binary::Bytes ro(0x1300, 0);
    const auto align = shape.align;
    const bool endbr = align == 16;
    const auto spurious = spurious_at(shape);
    // Early handlers, 9 bytes each: push $0 where the CPU pushes no error
    // code (EXCEPTION_ERRCODE_MASK 0x20027d00), push $vector, jmp.
    for (std::size_t v = 0; v < 32; ++v) {
        const std::uint8_t pushed = shape.wrong_early && v == 5 ? 6 : static_cast<std::uint8_t>(v);
        if ((0x20027d00u >> v) & 1)
            put(ro, kEarly + 9 * v, {0x6A, pushed, 0xE9, 0, 0, 0, 0});
        else
            put(ro, kEarly + 9 * v, {0x6A, 0x00, 0x6A, pushed, 0xE9, 0, 0, 0, 0});
    }
    for (std::size_t v = 0x20; v < 256; ++v) {
        const auto at =
            v < kFirstSystem ? kIrq + (v - 0x20) * align : spurious + (v - kFirstSystem) * align;
        std::size_t i = 0;
        if (endbr) put(ro, at, {0xF3, 0x0F, 0x1E, 0xFA}), i = 4;
        put(ro, at + i, {0x6A, static_cast<std::uint8_t>(v), 0xEB, 0x00});
    }
    idt_data(ro, kEarlyIdts, 1, 0, 0, kDebug);
    idt_data(ro, kEarlyIdts + 24, 3, 0, 3, kInt3);
    idt_data(ro, kDefIdts, 0, 0, 0, kDivide);
    idt_data(ro, kEarlyPfIdts, 14, 0, 0, kPageFault);
    idt_data(ro, kDefIdts + 24, 1, 3, 0, kDebug, shape.bad_segment ? 0x33 : 0x10);  // IST 3
    idt_data(ro, kDefIdts + 48, 0x80, 0, 3, kOther);  // no Xen entry for it
    idt_data(ro, kApicIdts, 0xEC, 0, 0, kTimer);
    // struct trap_array_entry { orig, xen, ist_okay }; Xen early stubs: pop
    // %rcx; pop %r11; jmp rel32 to the early handler of the same vector.
    const std::pair<std::uint64_t, std::uint64_t> replaced[] = {
        {kDivide, kXenDivide}, {kDebug, kXenDebug}, {kInt3, kXenInt3}, {kPageFault, kXenPageFault}};
    for (std::size_t i = 0; i < 4; ++i) {
        put_le(ro, kTrapArray + 24 * i, replaced[i].first, 8);
        put_le(ro, kTrapArray + 24 * i + 8, replaced[i].second, 8);
        put_le(ro, kTrapArray + 24 * i + 16, replaced[i].first == kDebug && shape.debug_ist_okay,
               1);
    }
    for (std::size_t v = 0; v < 32; ++v) {
        const auto at = kXenEarly + 8 * v;
        put(ro, at, {0x59, 0x41, 0x5B, 0xE9});
        put_le(ro, at + 4, (kEarly + 9 * v) - (at + 8), 4);
    }
    // kApicIdts + 24 .. +0x88: zero padding before the next symbol.
    auto g = std::make_unique<Golden>(
        Golden{testsupport::TinyElf(true).with_rodata(ro).build(), {}, image::KernelSymbols({})});
    g->elf = image::ElfImage::parse(g->elf_file);
    g->symbols = image::KernelSymbols({
        {kDivide, 'T', "asm_exc_divide_error"},
        {kInt3, 'T', "asm_exc_int3"},
        {kDebug, 'T', "asm_exc_debug"},
        {kPageFault, 'T', "asm_exc_page_fault"},
        {kTimer, 'T', "asm_sysvec_apic_timer_interrupt"},
        {kOther, 'T', "some_function"},
        {kSysvecX, 'T', "asm_sysvec_hypervisor_callback"},
        {kEarly, 't', "early_idt_handler_array"},
        {kEarlyCommon, 't', "early_idt_handler_common"},
        {kIrq, 'T', "irq_entries_start"},
        {spurious, 'T', "spurious_entries_start"},
        {kEarlyIdts, 'd', "early_idts"},
        {kEarlyPfIdts, 'd', "early_pf_idts"},
        {kDefIdts, 'd', "def_idts"},
        {kApicIdts, 'd', "apic_idts"},
        {kTrapArray + 0x80, 'd', "after_trap_array"},
        {kIdtTable, 'b', "idt_table"},
    });
    auto all = g->symbols.all();
    if (shape.pv) {
        all.push_back({kTrapArray, 'd', "trap_array"});
        all.push_back({kXenEarly, 't', "xen_early_idt_handler_array"});
        all.push_back({kUnknownTrap, 'T', "xen_asm_exc_xen_unknown_trap"});
    } else {
        all.push_back({kTrapArray, 'd', "after_the_tables"});
    }
    g->symbols = image::KernelSymbols(std::move(all));
    if (shape.extra) {
        auto all = g->symbols.all();
        all.push_back({R + 0x10F0, 'd', shape.extra});
        g->symbols = image::KernelSymbols(std::move(all));
    }
    return g;
}

// A gate descriptor: offset 15:0, selector, ist/type/dpl/p, offset 31:16,
// offset 63:32, reserved.
binary::Bytes gate(std::uint64_t target, std::uint8_t ist = 0, std::uint8_t dpl = 0,
                   bool present = true, std::uint16_t segment = 0x10, std::uint8_t type = 0xE) {
    binary::Bytes g(16, 0);
    g[0] = target & 0xFF, g[1] = (target >> 8) & 0xFF;
    g[2] = segment & 0xFF, g[3] = segment >> 8;
    g[4] = ist;
    g[5] = static_cast<std::uint8_t>((present ? 0x80 : 0) | (dpl << 5) | type);
    g[6] = (target >> 16) & 0xFF, g[7] = (target >> 24) & 0xFF;
    for (int i = 0; i < 4; ++i) g[8 + i] = (target >> (32 + 8 * i)) & 0xFF;
    return g;
}

// The IDT a kernel booted from golden() holds, `delta` above link addresses.
binary::Bytes booted_idt(const Shape& shape = {}, std::int64_t delta = 0) {
    const auto d = static_cast<std::uint64_t>(delta);
    const auto align = shape.align;
    binary::Bytes t;
    for (std::size_t v = 0; v < 256; ++v) {
        binary::Bytes g;
        if (v == 0)
            g = gate(kDivide + d);
        else if (v == 1)
            g = gate(kDebug + d, 3);
        else if (v == 3)
            g = gate(kInt3 + d, 0, 3);
        else if (v == 14)
            g = gate(kPageFault + d);
        else if (v < 32)
            g = gate(kEarly + 9 * v + d);
        else if (v == 0xEC)
            g = gate(kTimer + d);
        else if (v == 0x80)
            g = gate(kOther + d, 0, 3);
        else if (v < kFirstSystem)
            g = gate(kIrq + (v - 0x20) * align + d);
        else
            g = gate(spurious_at(shape) + (v - kFirstSystem) * align + d);
        t.insert(t.end(), g.begin(), g.end());
    }
    return t;
}

void set_gate(binary::Bytes& idt, std::size_t vector, const binary::Bytes& g) {
    std::copy(g.begin(), g.end(), idt.begin() + static_cast<std::ptrdiff_t>(vector * 16));
}

}  // namespace

TEST(LinuxIdt, DecodesAGateDescriptor) {
    // asm_common_interrupt-like target, __KERNEL_CS, IST 3, interrupt gate,
    // DPL 0, present: bytes as the SDM lays them out.
    const binary::Bytes b = {0x40, 0x0E, 0x10, 0x00, 0x03, 0x8E, 0xC0, 0x81,
                             0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00};
    const auto g = inspect::decode_idt_gate(b);
    EXPECT_EQ(g.target, 0xffffffff81c00e40ull);
    EXPECT_EQ(g.segment, 0x10);
    EXPECT_EQ(g.ist, 3);
    EXPECT_EQ(g.type, 0xE);
    EXPECT_EQ(g.dpl, 0);
    EXPECT_TRUE(g.present);
    const binary::Bytes user = {0, 0, 0x10, 0, 0, 0xEE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(inspect::decode_idt_gate(user).dpl, 3);
}

TEST(LinuxIdt, PredictsEveryGateFromTheGoldensTables) {
    auto g = golden();
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    EXPECT_EQ(idt->table(), kIdtTable);
    const auto& e = idt->expected();
    EXPECT_EQ(e[0].target, kDivide);
    EXPECT_EQ(e[0].origin, "def_idts");
    // #DB: early_idts first, then def_idts puts it on its IST.
    EXPECT_EQ(e[1].target, kDebug);
    EXPECT_EQ(e[1].ist, 3);
    // #BP: only early_idts names it, open to user mode.
    EXPECT_EQ(e[3].target, kInt3);
    EXPECT_EQ(e[3].dpl, 3);
    EXPECT_EQ(e[14].target, kPageFault);
    EXPECT_EQ(e[14].origin, "early_pf_idts");
    // Exceptions no table names keep their early handler (9 bytes each).
    EXPECT_EQ(e[20].target, kEarly + 9 * 20);
    EXPECT_EQ(e[20].origin, "early handler");
    EXPECT_EQ(e[0x21].target, kIrq + 8);
    EXPECT_FALSE(e[0x21].allocatable);
    EXPECT_EQ(e[0xEC].target, kTimer);
    EXPECT_FALSE(e[0xEC].allocatable);
    EXPECT_EQ(e[0xED].target, kIrq + (kFirstSystem - 0x20) * 8 + 8);
    EXPECT_TRUE(e[0xED].allocatable);
}

TEST(LinuxIdt, StubsOfSixteenBytesBehindEndbr) {
    const Shape shape{.align = 16};
    auto g = golden(shape);
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    EXPECT_EQ(idt->expected()[0x22].target, kIrq + 2 * 16);
    EXPECT_TRUE(idt->check(booted_idt(shape), 0, g->symbols).empty());
}

TEST(LinuxIdt, SpuriousStubsPastPaddingAreFoundByTheirPushes) {
    const Shape shape{.padding = 0x30};
    auto g = golden(shape);
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    EXPECT_EQ(idt->expected()[0xED].target, spurious_at(shape) + 8);
    EXPECT_TRUE(idt->check(booted_idt(shape), 0, g->symbols).empty());
}

TEST(LinuxIdt, TheBootedTableIsAsPredictedAtAnyKaslrOffset) {
    auto g = golden();
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    EXPECT_TRUE(idt->check(booted_idt(), 0, g->symbols).empty());
    const std::int64_t delta = 0x2a00000;
    for (const auto& p : idt->check(booted_idt({}, delta), delta, g->symbols)) ADD_FAILURE() << p;
    EXPECT_FALSE(idt->check(booted_idt({}, delta), 0, g->symbols).empty());
}

TEST(LinuxIdt, EveryWayAGateCanBeTurnedIsNamed) {
    auto g = golden();
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    auto one = [&](std::size_t vector, const binary::Bytes& turned) {
        auto t = booted_idt();
        set_gate(t, vector, turned);
        const auto problems = idt->check(t, 0, g->symbols);
        EXPECT_EQ(problems.size(), 1u);
        return problems.empty() ? std::string() : problems.front();
    };
    EXPECT_EQ(one(14, gate(kOther)),
              "IDT vector 14: points at some_function, where the golden kernel sets "
              "asm_exc_page_fault (early_pf_idts)");
    EXPECT_EQ(
        one(14, gate(kPageFault + 4)).rfind("IDT vector 14: points at asm_exc_page_fault+0x4", 0),
        0u);
    // Another exception's handler: a function of the image, still refused.
    EXPECT_NE(one(0, gate(kPageFault)).find("points at asm_exc_page_fault"), std::string::npos);
    EXPECT_EQ(one(0, gate(kDivide, 0, 3)),
              "IDT vector 0: DPL 3 (user mode may raise it with int), where the golden kernel's "
              "is 0");
    EXPECT_EQ(one(1, gate(kDebug, 0)),
              "IDT vector 1: interrupt stack 0, where the golden kernel's is 3");
    EXPECT_NE(one(0x30, gate(0, 0, 0, false)).find("IDT vector 48: not present"),
              std::string::npos);
    EXPECT_NE(one(0, gate(kDivide, 0, 0, true, 0x33)).find("segment 0x33"), std::string::npos);
    EXPECT_NE(one(0, gate(kDivide, 0, 0, true, 0x10, 0xF)).find("type 0xf"), std::string::npos);
    // An IRQ stub of another vector.
    EXPECT_NE(one(0x21, gate(kIrq + 16)).find("IRQ stub"), std::string::npos);
    // An early handler where the table's is due.
    EXPECT_NE(one(0, gate(kEarly)).find("asm_exc_divide_error"), std::string::npos);
}

TEST(LinuxIdt, ASystemVectorMayGetAnAsmSysvecHandlerAtRuntime) {
    auto g = golden();
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    auto t = booted_idt();
    set_gate(t, 0xF3, gate(kSysvecX));  // alloc_intr_gate(HYPERVISOR_CALLBACK_VECTOR, ...)
    EXPECT_TRUE(idt->check(t, 0, g->symbols).empty());
    set_gate(t, 0xF3, gate(kSysvecX, 0, 3));  // but not open to user mode
    EXPECT_EQ(idt->check(t, 0, g->symbols).size(), 1u);
    // Not an external vector's (its stub is due) nor a table's vector.
    t = booted_idt();
    set_gate(t, 0x40, gate(kSysvecX));
    set_gate(t, 0xEC, gate(kSysvecX));
    EXPECT_EQ(idt->check(t, 0, g->symbols).size(), 2u);
}

TEST(LinuxIdt, ATableNotLaidOutAsLinuxLaysItOutIsRefusedWithItsOffset) {
    auto g = golden({.bad_segment = true});
    const auto ro = g->elf.section(".rodata");
    ASSERT_NE(ro, nullptr);
    try {
        inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
        FAIL() << "accepted a def_idts entry of segment 0x33";
    } catch (const binary::ParseError& e) {
        EXPECT_EQ(e.offset(), ro->offset + (kDefIdts + 24 - R));
        EXPECT_NE(std::string(e.what()).find("entry 1 of def_idts"), std::string::npos) << e.what();
    }
}

TEST(LinuxIdt, AKernelWithoutIdtTableHasNoPrediction) {
    auto g = golden();
    std::vector<image::KernelSymbol> without;
    for (const auto& s : g->symbols.all())
        if (s.name != "idt_table") without.push_back(s);
    EXPECT_FALSE(inspect::LinuxIdt::from_golden(g->elf, g->elf_file, image::KernelSymbols(without))
                     .has_value());
}

TEST(LinuxIdt, AReadShortOfTheWholeTableIsAProblem) {
    auto g = golden();
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    auto t = booted_idt();
    t.resize(4000);
    EXPECT_EQ(idt->check(t, 0, g->symbols).size(), 1u);
}

TEST(LinuxIdt, EarlyHandlersThatDoNotPushTheirVectorsAreRefused) {
    auto g = golden({.wrong_early = true});
    EXPECT_THROW(inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols),
                 binary::ParseError);
}

TEST(LinuxIdt, LayoutsItDoesNotFollowAreRefusedNotMisjudged) {
    for (const char* name : {"ist_idts", "ia32_idt", "asm_fred_entrypoint_user"}) {
        auto g = golden({.extra = name});
        try {
            inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
            ADD_FAILURE() << "predicted an IDT for a kernel with " << name;
        } catch (const binary::ParseError& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
    // And a kernel without one of the four tables.
    auto g = golden();
    std::vector<image::KernelSymbol> without;
    for (const auto& s : g->symbols.all())
        if (s.name != "apic_idts") without.push_back(s);
    EXPECT_THROW(inspect::LinuxIdt::from_golden(g->elf, g->elf_file, image::KernelSymbols(without)),
                 binary::ParseError);
}

TEST(LinuxIdt, AXenPvKernelsTrapTableIsItsStartUpGatesInTheirXenForms) {
    auto g = golden({.pv = true});
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    ASSERT_TRUE(idt->pv_traps().has_value());
    const auto& traps = *idt->pv_traps();
    EXPECT_EQ(traps[0].address, kXenDivide);  // def_idts, replaced by trap_array
    EXPECT_EQ(traps[1].address, kXenDebug);   // on its IST, which trap_array allows
    EXPECT_EQ(traps[3].address, kXenInt3);    // early_idts
    EXPECT_EQ(traps[14].address, kXenPageFault);
    EXPECT_EQ(traps[2].address, kXenEarly + 8 * 2);  // an early handler: its Xen stub
    EXPECT_EQ(traps[0x80].address, kUnknownTrap);    // no Xen entry in trap_array
    EXPECT_EQ(traps[0xEC].address, 0u);              // apic_idts: not on PV
    EXPECT_EQ(traps[0x30].address, 0u);              // IRQ stubs: not on PV
    // Flags as cvt_gate_to_trap sets them: the gate's DPL, and 4 for an
    // interrupt gate (events masked on entry).
    EXPECT_EQ(traps[0].flags, 0 | 4);
    EXPECT_EQ(traps[2].flags, 0 | 4);  // an early handler's gate: DPL 0
    EXPECT_EQ(traps[3].flags, 3 | 4);  // int3: DPL 3 in early_idts
    EXPECT_EQ(traps[0x80].flags, 3 | 4);
    EXPECT_EQ(traps[0x30].flags, 0);
    // A gate on an interrupt stack trap_array does not allow one is left out.
    auto strict = golden({.pv = true, .debug_ist_okay = false});
    const auto strict_idt =
        inspect::LinuxIdt::from_golden(strict->elf, strict->elf_file, strict->symbols);
    ASSERT_TRUE(strict_idt.has_value());
    EXPECT_EQ((*strict_idt->pv_traps())[1].address, 0u);
}

TEST(LinuxIdt, ATrapsFlagsAreNamedByWhatDiffers) {
    using inspect::pv_trap_flags_problem;
    EXPECT_EQ(pv_trap_flags_problem(4, 4), "");
    EXPECT_EQ(pv_trap_flags_problem(7, 4),
              "DPL 3 (dom0's user mode may raise it with int), where the golden kernel's is 0");
    EXPECT_EQ(pv_trap_flags_problem(0, 4),
              "events left enabled on entry, where the golden kernel's interrupt gate masks them");
    EXPECT_EQ(pv_trap_flags_problem(3, 4),
              "DPL 3 (dom0's user mode may raise it with int), where the golden kernel's is 0; "
              "events left enabled on entry, where the golden kernel's interrupt gate masks them");
    EXPECT_EQ(pv_trap_flags_problem(0x0c, 4), "flags 0xc, where the golden kernel's are 0x4");
}

TEST(LinuxIdt, AKernelWithoutXenPvSupportHasNoTrapTable) {
    auto g = golden();
    const auto idt = inspect::LinuxIdt::from_golden(g->elf, g->elf_file, g->symbols);
    ASSERT_TRUE(idt.has_value());
    EXPECT_FALSE(idt->pv_traps().has_value());
}

// Linux's rule for what the CPUs load (idt_descr after idt_map_in_cea):
// CPU_ENTRY_AREA_RO_IDT and 256 gates of 16 bytes, less one.
TEST(LinuxIdt, OnlyAnIdtrOfTheReadOnlyAliasOfTheWholeTablePasses) {
    using inspect::idtr_problem;
    EXPECT_EQ(idtr_problem({0xfffffe0000000000ull, 4095}), "");
    EXPECT_EQ(idtr_problem({0xffffffff83313000ull, 4095}),
              "IDTR holds base 0xffffffff83313000 limit 0xfff, where the golden kernel loads its "
              "IDT's read-only alias 0xfffffe0000000000 limit 0xfff");
    EXPECT_NE(idtr_problem({0xfffffe0000000000ull, 0x7ff}), "");  // half the gates
    // Past vector 255 nothing is looked up: KVM leaves 0xffff after a VM exit.
    EXPECT_EQ(idtr_problem({0xfffffe0000000000ull, 0xffff}), "");
}
