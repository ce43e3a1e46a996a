// Xen's IDT held to the gates its golden image leaves there: gates encoded
// by hand from the x86-64 gate descriptor format (Intel SDM vol. 3,
// 6.14.1), not by the code under test. The prediction from a real
// xen-syms is checked end to end (XenInspection.AGateTurnedInXensIdtIsFound).
#include "inspect/xen_idt.hpp"

#include <gtest/gtest.h>

#include "support/guest_ram_image.hpp"

using namespace drtm;

namespace {

constexpr std::uint64_t kStub = 0xffff82d0402020b9ull, kNmi = 0xffff82d040201eb0ull,
                        kInt3 = 0xffff82d040201c40ull, kOther = 0xffff82d040201ba0ull;

// offset 15:0, selector, IST, type/DPL/P, offset 31:16, offset 63:32, 0.
binary::Bytes gate(std::uint64_t target, std::uint8_t dpl = 0, std::uint8_t ist = 0,
                   std::uint16_t segment = 0xe008, std::uint8_t type = 0xE, bool present = true) {
    binary::Bytes g(16, 0);
    g[0] = target & 0xFF, g[1] = (target >> 8) & 0xFF;
    g[2] = segment & 0xFF, g[3] = segment >> 8;
    g[4] = ist;
    g[5] = static_cast<std::uint8_t>((present ? 0x80 : 0) | (dpl << 5) | type);
    for (int i = 0; i < 6; ++i) g[6 + i] = (target >> (16 + 8 * i)) & 0xFF;
    return g;
}

struct Fixture {
    std::array<inspect::ExpectedIdtGate, 256> expected{};
    binary::Bytes table;
    image::KernelSymbols symbols{std::vector<image::KernelSymbol>{{kStub, 't', "autogen_stubs"},
                                                                  {kNmi, 'T', "nmi"},
                                                                  {kInt3, 'T', "int3"},
                                                                  {kOther, 'T', "divide_error"}}};
    Fixture() {
        for (std::size_t v = 0; v < 256; ++v) {
            expected[v] = {.target = kStub, .origin = "autogen_entrypoints"};
            const auto g = gate(kStub);
            table.insert(table.end(), g.begin(), g.end());
        }
        expected[2] = {.target = kNmi, .ist = 2, .origin = "set by hand"};
        expected[3] = {.target = kInt3, .dpl = 3, .origin = "set by hand"};
        set(2, gate(kNmi, 0, 2));
        set(3, gate(kInt3, 3));
    }
    void set(std::size_t v, const binary::Bytes& g) {
        std::copy(g.begin(), g.end(), table.begin() + static_cast<std::ptrdiff_t>(16 * v));
    }
    std::vector<std::string> check() const {
        return inspect::XenIdt(expected).check(table, symbols, "vCPU 0");
    }
};

}  // namespace

TEST(XenIdt, TheGatesXenSetsPass) {
    Fixture f;
    EXPECT_TRUE(f.check().empty());
    // Xen may take the NMI's stack away at runtime (for HVM guests on SVM).
    f.set(2, gate(kNmi, 0, 0));
    EXPECT_TRUE(f.check().empty());
}

TEST(XenIdt, EachWayAGateCanBeTurnedIsNamed) {
    auto one = [](std::size_t v, const binary::Bytes& g) {
        Fixture f;
        f.set(v, g);
        const auto problems = f.check();
        return problems.size() == 1 ? problems[0] : std::to_string(problems.size()) + " problems";
    };
    EXPECT_EQ(one(9, gate(kOther)),
              "vCPU 0's IDT vector 9: points at divide_error, where the golden Xen sets "
              "autogen_stubs (autogen_entrypoints)");
    EXPECT_EQ(one(9, gate(kStub, 3)),
              "vCPU 0's IDT vector 9: DPL 3 (a guest may raise it with int), where the golden "
              "Xen's is 0");
    EXPECT_EQ(one(3, gate(kInt3, 0)), "vCPU 0's IDT vector 3: DPL 0, where the golden Xen's is 3");
    EXPECT_EQ(one(2, gate(kNmi, 0, 5)),
              "vCPU 0's IDT vector 2: interrupt stack 5, where the golden Xen's is 2 (or none)");
    EXPECT_EQ(one(9, gate(kStub, 0, 1)),
              "vCPU 0's IDT vector 9: interrupt stack 1, where the golden Xen's is 0");
    EXPECT_EQ(one(9, gate(kStub, 0, 0, 0x10)),
              "vCPU 0's IDT vector 9: segment 0x10, type 0xe; Xen sets an interrupt gate of "
              "__HYPERVISOR_CS here");
    EXPECT_EQ(one(9, gate(kStub, 0, 0, 0xe008, 0xF)),
              "vCPU 0's IDT vector 9: segment 0xe008, type 0xf; Xen sets an interrupt gate of "
              "__HYPERVISOR_CS here");
    EXPECT_EQ(one(9, gate(kStub, 0, 0, 0xe008, 0xE, false)),
              "vCPU 0's IDT vector 9: not present, where the golden Xen sets autogen_stubs "
              "(autogen_entrypoints)");
}

TEST(XenIdt, ATableNotReadWholeIsSaidSo) {
    Fixture f;
    f.table.resize(100);
    EXPECT_EQ(f.check(), std::vector<std::string>{"vCPU 0's IDT was not read whole"});
}

// disable_each_ist takes the four stacks away together (an AP's fresh
// copy, SVM running an HVM guest); one taken alone is someone else's doing.
TEST(XenIdt, AStackTakenAwayAloneIsNamed) {
    Fixture f;
    f.expected[8] = {.target = kOther, .ist = 4, .origin = "set by hand"};
    f.set(8, gate(kOther, 0, 4));
    ASSERT_TRUE(f.check().empty());
    f.set(2, gate(kNmi, 0, 0));
    EXPECT_EQ(f.check(), std::vector<std::string>{
                             "vCPU 0's IDT vector 2: interrupt stack none, where the golden Xen's "
                             "is 2 (Xen takes the four stacks away together, and another gate has "
                             "its own)"});
    f.set(8, gate(kOther, 0, 0));
    EXPECT_TRUE(f.check().empty());
}

// play_dead aims an offline CPU's NMI gate at trap_nop, without a stack;
// on a CPU Xen has online that is a finding.
TEST(XenIdt, AnOfflineCpusNmiGateMayBePlayDeads) {
    constexpr std::uint64_t kTrapNop = 0xffff82d0402020b3ull;
    Fixture f;
    f.symbols = image::KernelSymbols(std::vector<image::KernelSymbol>{
        {kStub, 't', "autogen_stubs"}, {kNmi, 'T', "nmi"}, {kTrapNop, 'T', "trap_nop"}});
    f.set(2, gate(kTrapNop));
    const inspect::XenIdt idt(f.expected, kTrapNop);
    EXPECT_TRUE(idt.check(f.table, f.symbols, "vCPU 1", /*offline=*/true).empty());
    EXPECT_EQ(idt.check(f.table, f.symbols, "vCPU 1"),
              std::vector<std::string>{"vCPU 1's IDT vector 2: points at trap_nop, where the "
                                       "golden Xen sets nmi (set by hand)"});
    // Only play_dead's gate: trap_nop opened to guests is not.
    f.set(2, gate(kTrapNop, 3));
    EXPECT_EQ(idt.check(f.table, f.symbols, "vCPU 1", true).size(), 1u);
}

namespace {

// A golden Xen's symbols and autogen_entrypoints: the handlers Xen 4.17
// sets by hand at made-up addresses, and a stub for every other vector.
struct GoldenTables {
    std::vector<image::KernelSymbol> symbols;
    binary::Bytes autogen = binary::Bytes(256 * 8, 0);
    GoldenTables() {
        const std::pair<int, const char*> by_hand[] = {{0, "divide_error"},
                                                       {1, "debug"},
                                                       {2, "nmi"},
                                                       {3, "int3"},
                                                       {4, "overflow"},
                                                       {5, "bounds"},
                                                       {6, "invalid_op"},
                                                       {7, "device_not_available"},
                                                       {8, "double_fault"},
                                                       {10, "invalid_TSS"},
                                                       {11, "segment_not_present"},
                                                       {12, "stack_segment"},
                                                       {13, "general_protection"},
                                                       {14, "page_fault"},
                                                       {16, "coprocessor_error"},
                                                       {17, "alignment_check"},
                                                       {18, "machine_check"},
                                                       {19, "simd_coprocessor_error"},
                                                       {21, "entry_CP"},
                                                       {0x80, "int80_direct_trap"}};
        std::vector<bool> hand(256);
        for (auto [v, name] : by_hand) {
            symbols.push_back({0xffff82d040201000ull + 0x40 * v, 'T', name});
            hand[v] = true;
        }
        for (int v = 0; v < 256; ++v)
            if (!hand[v]) stub(v, 0xffff82d040300000ull + 0x20 * v);
    }
    void stub(int v, std::uint64_t target) {
        for (int i = 0; i < 8; ++i) autogen[8 * v + i] = (target >> (8 * i)) & 0xFF;
    }
    void drop(const char* name) {
        std::erase_if(symbols, [&](const auto& s) { return s.name == name; });
    }
    inspect::XenIdt idt(std::optional<unsigned> patch = std::nullopt) const {
        return inspect::XenIdt::from_tables(image::KernelSymbols(symbols), autogen, patch);
    }
};

std::string refusal(const GoldenTables& g) {
    try {
        g.idt();
        return "accepted";
    } catch (const std::runtime_error& e) {
        return e.what();
    }
}

}  // namespace

TEST(XenIdt, TheGoldenTablesGiveEveryGate) {
    GoldenTables g;
    const auto idt = g.idt();
    const auto& want = idt.expected();
    EXPECT_EQ(want[9].target, 0xffff82d040300000ull + 0x20 * 9);
    EXPECT_EQ(want[9].origin, "autogen_entrypoints");
    EXPECT_EQ(want[2].target, 0xffff82d040201000ull + 0x40 * 2);
    EXPECT_EQ(want[2].ist, 2);   // IST_NMI
    EXPECT_EQ(want[18].ist, 1);  // IST_MCE
    EXPECT_EQ(want[1].ist, 3);   // IST_DB
    EXPECT_EQ(want[8].ist, 4);   // IST_DF
    EXPECT_EQ(want[3].dpl, 3);
    EXPECT_EQ(want[4].dpl, 3);
    EXPECT_EQ(want[0x80].dpl, 3);
    EXPECT_EQ(want[14].dpl, 0);
    // Without CONFIG_PV32 there is no entry_int82: 0x82 is a stub.
    EXPECT_EQ(want[0x82].origin, "autogen_entrypoints");
}

// Before 4.17.3 (XSA-446) int 0x80 and 0x82 were trap gates (0x80 an
// interrupt gate under XPTI); from 4.17.3 on, interrupt gates. A release
// not known (a build between two) may hold either; no other vector may.
TEST(XenIdt, Int80And82AreTrapGatesBefore4173) {
    GoldenTables g;
    g.symbols.push_back({0xffff82d040209000ull, 'T', "entry_int82"});
    g.stub(0x82, 0);
    image::KernelSymbols symbols(g.symbols);
    auto table_with = [&](const inspect::XenIdt& idt, std::uint8_t type80, std::uint8_t type82) {
        binary::Bytes table;
        for (std::size_t v = 0; v < 256; ++v) {
            const auto& w = idt.expected()[v];
            const auto one = gate(w.target, w.dpl, w.ist, 0xe008,
                                  v == 0x80   ? type80
                                  : v == 0x82 ? type82
                                              : 0xE);
            table.insert(table.end(), one.begin(), one.end());
        }
        return idt.check(table, symbols, "vCPU 0");
    };
    const auto unknown = g.idt(), before = g.idt(2), after = g.idt(7);
    const std::string int80 =
                          "vCPU 0's IDT vector 128: segment 0xe008, type 0xf; Xen sets an "
                          "interrupt gate of __HYPERVISOR_CS here",
                      int82 =
                          "vCPU 0's IDT vector 130: segment 0xe008, type 0xe; Xen sets a "
                          "trap gate of __HYPERVISOR_CS here";
    EXPECT_TRUE(table_with(unknown, 0xF, 0xF).empty());
    EXPECT_TRUE(table_with(unknown, 0xE, 0xE).empty());
    EXPECT_TRUE(table_with(before, 0xF, 0xF).empty());
    EXPECT_TRUE(table_with(before, 0xE, 0xF).empty());  // XPTI's rewrite
    EXPECT_EQ(table_with(before, 0xE, 0xE), std::vector<std::string>{int82});
    EXPECT_TRUE(table_with(after, 0xE, 0xE).empty());
    EXPECT_EQ(table_with(after, 0xF, 0xE), std::vector<std::string>{int80});
    // page_fault's gate a trap gate: never.
    binary::Bytes bytes;
    for (std::size_t v = 0; v < 256; ++v) {
        const auto& w = unknown.expected()[v];
        const auto one = gate(w.target, w.dpl, w.ist, 0xe008, v == 14 ? 0xF : 0xE);
        bytes.insert(bytes.end(), one.begin(), one.end());
    }
    EXPECT_EQ(unknown.check(bytes, symbols, "vCPU 0"),
              std::vector<std::string>{"vCPU 0's IDT vector 14: segment 0xe008, type 0xf; Xen "
                                       "sets an interrupt gate of __HYPERVISOR_CS here"});
}

TEST(XenIdt, AGoldenImageLaidOutOtherwiseIsRefused) {
    {
        GoldenTables g;
        g.drop("page_fault");
        EXPECT_EQ(refusal(g),
                  "the golden Xen has no page_fault, which Xen 4.17 sets in IDT "
                  "vector 14");
    }
    {
        GoldenTables g;
        g.stub(14, 0xffff82d040300000ull);
        EXPECT_EQ(refusal(g),
                  "IDT vector 14 has both an autogen_entrypoints stub and "
                  "page_fault: not Xen 4.17's IDT");
    }
    {
        GoldenTables g;
        g.stub(9, 0);
        EXPECT_EQ(refusal(g),
                  "IDT vector 9 has neither an autogen_entrypoints stub nor a "
                  "handler Xen 4.17 sets by hand");
    }
    {
        GoldenTables g;
        g.autogen.resize(100);
        EXPECT_EQ(refusal(g), "the golden Xen's autogen_entrypoints is not 256 entries");
    }
    // entry_int82 is only in CONFIG_PV32 builds, where 0x82 has no stub.
    {
        GoldenTables g;
        g.symbols.push_back({0xffff82d040209000ull, 'T', "entry_int82"});
        EXPECT_EQ(refusal(g),
                  "IDT vector 130 has both an autogen_entrypoints stub and "
                  "entry_int82: not Xen 4.17's IDT");
        g.stub(0x82, 0);
        const auto idt = g.idt();
        EXPECT_EQ(idt.expected()[0x82].target, 0xffff82d040209000ull);
        EXPECT_EQ(idt.expected()[0x82].dpl, 1);
    }
}

namespace {

constexpr std::uint64_t kCpu0Idt = 0xffff82d040577000ull, kCpu1Idt = 0xffff830000123000ull;

// What the pause read of a vCPU; `cpu`, the CPU of Xen's whose
// idt_tables[] entry its IDTR is, if any.
inspect::XenVcpuIdt read_of(int cpu_index, std::uint64_t base, const binary::Bytes& table,
                            std::optional<std::size_t> cpu = std::nullopt) {
    inspect::XenVcpuIdt read;
    read.cpu_index = cpu_index;
    read.idtr = {base, 0xfff};
    read.table = table;
    read.cpu = cpu;
    return read;
}

inspect::XenCpus cpus_of(std::vector<std::uint64_t> idt_tables, std::vector<std::uint64_t> online) {
    inspect::XenCpus cpus;
    cpus.idt_tables = std::move(idt_tables);
    cpus.online_words = std::move(online);
    cpus.stacks_unread = "not in this test";
    return cpus;
}

inspect::XenVcpuIdt with(inspect::XenVcpuIdt read, std::uint32_t limit, std::string problem) {
    read.idtr.limit = limit;
    read.own_mapping_problem = std::move(problem);
    return read;
}

}  // namespace

// Each IDTR must be one of the tables Xen keeps for its CPUs; an offline
// CPU's may hold play_dead's NMI gate.
TEST(XenIdt, EachIdtrIsTiedToACpuOfXens) {
    constexpr std::uint64_t kTrapNop = 0xffff82d0402020b3ull;
    Fixture f;
    const inspect::XenIdt idt(f.expected, kTrapNop);
    auto cpus = cpus_of({kCpu0Idt, kCpu1Idt}, {0b01});  // CPU 1 offline
    auto parked = f.table;
    const auto nop = gate(kTrapNop);
    std::copy(nop.begin(), nop.end(), parked.begin() + 32);
    const std::vector<inspect::XenVcpuIdt> vcpus = {read_of(0, kCpu0Idt, f.table, 0),
                                                    read_of(1, kCpu1Idt, parked, 1)};
    auto verdict = idt.judge(vcpus, cpus, "", f.symbols);
    EXPECT_TRUE(verdict.problems.empty()) << verdict.problems.front();
    EXPECT_EQ(verdict.not_judged, std::vector<std::string>{"the vCPUs' TSS: not in this test"});
    EXPECT_EQ(verdict.gates_checked, 512u);
    EXPECT_EQ(verdict.idtrs_checked, 2u);
    // Online, CPU 1 may not hold it.
    cpus.online_words = {0b11};
    verdict = idt.judge(vcpus, cpus, "", f.symbols);
    ASSERT_EQ(verdict.problems.size(), 1u);
    EXPECT_TRUE(verdict.problems[0].starts_with("vCPU 1's IDT vector 2: points at "))
        << verdict.problems[0];
    // A table that is none of Xen's.
    const std::vector<inspect::XenVcpuIdt> elsewhere = {read_of(0, 0xffff830000999000ull, f.table)};
    verdict = idt.judge(elsewhere, cpus, "", f.symbols);
    EXPECT_EQ(verdict.problems,
              std::vector<std::string>{"vCPU 0's IDTR points at 0xffff830000999000, none of the "
                                       "IDTs Xen keeps for its 2 CPU(s) (idt_tables)"});
    // Unless Xen freed an offline CPU's (not parked, on AMD): its vCPU,
    // halted, keeps the IDTR. One running is judged.
    auto halted = read_of(1, kCpu1Idt, parked);
    halted.state.halted = true;
    verdict = idt.judge(std::vector<inspect::XenVcpuIdt>{halted}, cpus_of({kCpu0Idt, 0}, {0b01}),
                        "", f.symbols);
    EXPECT_TRUE(verdict.problems.empty());
    EXPECT_EQ(verdict.not_judged.back(),
              "vCPU 1's IDT (0xffff830000123000): none of Xen's, and the vCPU is halted where "
              "Xen has freed an offline CPU's");
    EXPECT_EQ(verdict.gates_checked, 0u);
    EXPECT_EQ(verdict.idtrs_checked, 0u);
    verdict = idt.judge(std::vector<inspect::XenVcpuIdt>{read_of(1, kCpu1Idt, parked)},
                        cpus_of({kCpu0Idt, 0}, {0b01}), "", f.symbols);
    EXPECT_EQ(verdict.problems.front(),
              "vCPU 1's IDTR points at 0xffff830000123000, none of the IDTs Xen keeps for its 2 "
              "CPU(s) (idt_tables)");
    // Only as many as Xen freed.
    verdict = idt.judge(std::vector<inspect::XenVcpuIdt>{halted, halted},
                        cpus_of({kCpu0Idt, 0}, {0b01}), "", f.symbols);
    EXPECT_EQ(verdict.idtrs_checked, 1u);
    EXPECT_FALSE(verdict.problems.empty());
    // Two vCPUs on one CPU of Xen's: its IDT and its stacks shared.
    verdict = idt.judge(std::vector<inspect::XenVcpuIdt>{read_of(0, kCpu0Idt, f.table, 0),
                                                         read_of(1, kCpu0Idt, f.table, 0)},
                        cpus_of({kCpu0Idt, kCpu1Idt}, {0b11}), "", f.symbols);
    EXPECT_EQ(verdict.problems,
              std::vector<std::string>{"vCPU 1 runs on Xen's CPU 0's IDT, as vCPU 0 does: each "
                                       "CPU has its own, and its own stacks"});
    // Without Xen's record, said so; play_dead's gate then passes.
    verdict = idt.judge(std::vector<inspect::XenVcpuIdt>{read_of(1, kCpu1Idt, parked)},
                        std::nullopt, "nr_cpu_ids holds 0", f.symbols);
    EXPECT_TRUE(verdict.problems.empty());
    EXPECT_EQ(verdict.not_judged,
              std::vector<std::string>{"which of Xen's CPUs each IDTR belongs to, whether it is "
                                       "online, and its TSS: nr_cpu_ids holds 0"});
    // An AP in Xen's trampoline holds an empty IDTR until it loads its own.
    auto empty = read_of(1, 0, {});
    empty.idtr.limit = 0;
    verdict = idt.judge(std::vector<inspect::XenVcpuIdt>{empty}, cpus, "", f.symbols);
    EXPECT_TRUE(verdict.problems.empty());
    EXPECT_EQ(verdict.not_judged.back(), "vCPU 1's IDTR (empty): Xen is bringing the CPU online");
    EXPECT_EQ(verdict.idtrs_checked, 0u);
}

TEST(XenIdt, AnIdtrUnmappedShortOrMappedElsewhereIsNamed) {
    Fixture f;
    const inspect::XenIdt idt(f.expected);
    const auto cpus = cpus_of({kCpu0Idt}, {1});
    auto judge = [&](const inspect::XenVcpuIdt& read) {
        return idt.judge(std::vector<inspect::XenVcpuIdt>{read}, cpus, "", f.symbols).problems;
    };
    EXPECT_EQ(
        judge(read_of(0, kCpu0Idt, {}, 0)),
        std::vector<std::string>{
            "vCPU 0's IDTR points at 0xffff82d040577000, which Xen's page tables do not map"});
    EXPECT_EQ(judge(with(read_of(0, kCpu0Idt, f.table, 0), 0x7ff, "")),
              std::vector<std::string>{"vCPU 0's IDTR limit is 0x7ff, where Xen loads its whole "
                                       "table (0xfff)"});
    // A VM exit leaves 0xffff: more than the table is fine.
    EXPECT_TRUE(judge(with(read_of(0, kCpu0Idt, f.table, 0), 0xffff, "")).empty());
    EXPECT_EQ(judge(with(read_of(0, kCpu0Idt, f.table, 0), 0xfff,
                         "the page tables in its CR3 (0x1000) map x")),
              std::vector<std::string>{"vCPU 0's IDT: the page tables in its CR3 (0x1000) map x"});
}

namespace {

constexpr std::uint64_t kStack = 0xffff830000200000ull;
constexpr std::uint64_t kTssPage = 0xffff82d040579000ull, kOffset1 = 0x7d0c0000ull;

// A TSS as Xen 4.17's load_system_tables fills it, field by field from
// struct tss64 (reserved u32, rsp0-2, reserved u64, ist[7], reserved u64,
// reserved u16, I/O bitmap offset) for a stack block at kStack.
struct Tss {
    binary::Bytes bytes = binary::Bytes(104, 0);
    Tss() {
        put(4, kStack + 0x8000 - 0xb0);  // rsp0: in the struct cpu_info at the top
        put(12, 0x8600111111111111ull);
        put(20, 0x8600111111111111ull);
        put(36, kStack + 0x2000);         // IST 1, #MC
        put(44, kStack + 0x3000);         // IST 2, NMI
        put(52, kStack + 0x4000);         // IST 3, #DB
        put(60, kStack + 0x5000 - 0x20);  // IST 4, #DF: es, ds, fs, gs below the top
        for (int i = 4; i < 7; ++i) put(36 + 8 * i, 0x8600111111111111ull);
        bytes[102] = 0x00, bytes[103] = 0x80;
    }
    void put(std::size_t at, std::uint64_t v) {
        for (int i = 0; i < 8; ++i) bytes[at + i] = (v >> (8 * i)) & 0xFF;
    }
    std::vector<std::string> check(std::uint64_t stack = kStack) const {
        return inspect::XenTss::check(bytes, stack, "vCPU 1's TSS (Xen's CPU 1)");
    }
};

}  // namespace

// The table read through Xen's idle_pg_table, and the page each vCPU's CR3
// maps there (hand-built tables: the directmap, slot 262, onto physical 0
// with one 2 MiB page; the IDT at 1 MiB); with Xen's record, the CPU the
// IDTR is and that CPU's TSS (at 1 MiB + 0x2000 + 64 here).
TEST(XenIdt, TheTableIsReadAsXenMapsItAndTheVcpusTablesMustAgree) {
    constexpr std::uint64_t kDirectMap = 0xffff830000000000ull, kIdtVa = kDirectMap + 0x100000;
    testsupport::GuestRamImage image(4 << 20);
    image.put(0x1000 + 8 * 262, 0x2000 | 0x3);  // idle_pg_table[262] → L3
    image.put(0x2000, 0x3000 | 0x3);            // L3[0] → L2
    image.put(0x3000, 0x0 | 0x83);              // L2[0]: 2 MiB at 0
    image.put(0x100000 + 16 * 9, 0x1234);       // a byte of the table to find
    image.put(0x102040 + 4, 0x5678);            // the TSS's rsp0
    // Another root (a PV guest's, a root_pgt) sharing Xen's L3: agrees.
    image.put(0x4000 + 8 * 262, 0x2000 | 0x3);
    // A third whose 4 KiB pages at the IDT's and the TSS's addresses are
    // others.
    image.put(0x5000 + 8 * 262, 0x6000 | 0x3);
    image.put(0x6000, 0x7000 | 0x3);
    image.put(0x7000, 0x8000 | 0x3);
    image.put(0x8000 + 8 * 0x100, 0x180000 | 0x3);
    image.put(0x8000 + 8 * 0x102, 0x182000 | 0x3);
    const inspect::XenVirtualMemory xen(0x1000);
    auto cpus = cpus_of({kDirectMap + 0x7000, kIdtVa}, {0b11});
    cpus.stacks_unread.clear();
    cpus.stack_bases = {kStack, kStack + 0x8000};
    cpus.per_cpu_offsets = {0, 0x2000};
    cpus.tss_page = kDirectMap + 0x100000;
    auto read = [&](std::uint64_t cr3, std::uint64_t base, const inspect::XenCpus* record) {
        inspect::PausedVcpu vcpu;
        vcpu.cpu_index = 3;
        vcpu.idtr = inspect::DescriptorTableRegister{base, 0xfff};
        vcpu.paging.paging = true;
        vcpu.paging.cr3 = cr3;
        vcpu.tr = inspect::TaskRegister{0xe040, kDirectMap + 0x102040, 0x67};
        vcpu.state.cpl = 0;
        vcpu.state.halted = true;
        return inspect::read_vcpu_idt(image.memory(), xen, vcpu, record);
    };
    for (std::uint64_t cr3 : {0x1000ull, 0x4000ull}) {
        const auto r = read(cr3, kIdtVa, &cpus);
        EXPECT_EQ(r.cpu_index, 3);
        ASSERT_EQ(r.table.size(), 4096u);
        EXPECT_EQ(r.table[16 * 9], 0x34);
        EXPECT_EQ(r.table[16 * 9 + 1], 0x12);
        EXPECT_EQ(r.own_mapping_problem, "");
        EXPECT_EQ(r.cpu, std::optional<std::size_t>(1));
        ASSERT_EQ(r.tss.size(), 104u);
        EXPECT_EQ(r.tss[4], 0x78);
        EXPECT_EQ(r.tss_mapping_problem, "");
        // What the judgement needs of the vCPU, carried with it.
        EXPECT_EQ(r.tr, (inspect::TaskRegister{0xe040, kDirectMap + 0x102040, 0x67}));
        EXPECT_EQ(r.state.cpl, std::optional<unsigned>(0));
        EXPECT_EQ(r.state.halted, std::optional<bool>(true));
    }
    const auto elsewhere = read(0x5000, kIdtVa, &cpus);
    EXPECT_EQ(elsewhere.own_mapping_problem,
              "the page tables in its CR3 (0x5000) map 0xffff830000100000 to physical 0x180000, "
              "where Xen's own map 0x100000");
    EXPECT_EQ(elsewhere.tss_mapping_problem,
              "the page tables in its CR3 (0x5000) map 0xffff830000102040 to physical 0x182040, "
              "where Xen's own map 0x102040");
    image.put(0x8000 + 8 * 0x100, 0);
    EXPECT_EQ(read(0x5000, kIdtVa, nullptr).own_mapping_problem,
              "the page tables in its CR3 (0x5000) do not map 0xffff830000100000");
    // Without Xen's record, no CPU and no TSS.
    EXPECT_EQ(read(0x1000, kIdtVa, nullptr).cpu, std::nullopt);
    EXPECT_TRUE(read(0x1000, kIdtVa, nullptr).tss.empty());
    // An IDTR that is none of idt_tables[]: no CPU.
    EXPECT_EQ(read(0x1000, kIdtVa + 0x10000, &cpus).cpu, std::nullopt);
    // Not mapped by Xen: nothing read.
    EXPECT_TRUE(read(0x1000, 0xffff840000000000ull, &cpus).table.empty());
}

TEST(XenTss, TheStacksXenSetsPass) {
    EXPECT_TRUE(Tss().check().empty());
}

TEST(XenTss, EachStackAimedElsewhereIsNamed) {
    auto one = [](std::size_t at, std::uint64_t v) {
        Tss t;
        t.put(at, v);
        const auto problems = t.check();
        return problems.size() == 1 ? problems[0] : std::to_string(problems.size()) + " problems";
    };
    EXPECT_EQ(one(44, 0xffff830000900000ull),
              "vCPU 1's TSS (Xen's CPU 1): IST 2 (NMI) is 0xffff830000900000, where Xen's is "
              "0xffff830000203000 (stack_base + 0x3000)");
    EXPECT_EQ(one(60, kStack + 0x5000 - 0x21),
              "vCPU 1's TSS (Xen's CPU 1): IST 4 (#DF) is 0xffff830000204fdf, where Xen's is "
              "0xffff830000204fe0 (stack_base + 0x4fe0)");
    EXPECT_EQ(one(60, kStack + 0x5000),
              "vCPU 1's TSS (Xen's CPU 1): IST 4 (#DF) is 0xffff830000205000, where Xen's is "
              "0xffff830000204fe0 (stack_base + 0x4fe0)");
    EXPECT_EQ(one(4, kStack + 0x6000),
              "vCPU 1's TSS (Xen's CPU 1): rsp0 is 0xffff830000206000, off the CPU's primary "
              "stack (the last page from stack_base 0xffff830000200000)");
    EXPECT_EQ(one(4, kStack + 0x7f58),
              "vCPU 1's TSS (Xen's CPU 1): rsp0 is 0xffff830000207f58, "
              "off the CPU's primary stack (the last page from "
              "stack_base 0xffff830000200000)");  // not 16-aligned
    EXPECT_EQ(one(12, 0),
              "vCPU 1's TSS (Xen's CPU 1): rsp1 is 0x0, where Xen poisons it (0x8600111111111111)");
    EXPECT_EQ(one(36 + 8 * 6, kStack + 0x2000),
              "vCPU 1's TSS (Xen's CPU 1): IST 7 is 0xffff830000202000, where Xen poisons it "
              "(0x8600111111111111)");
    Tss t;
    t.bytes[103] = 0x00;
    t.bytes[102] = 0x68;
    EXPECT_EQ(t.check(), std::vector<std::string>{"vCPU 1's TSS (Xen's CPU 1): I/O bitmap offset "
                                                  "0x68, where Xen has none (0x8000)"});
    EXPECT_EQ(inspect::XenTss::check(binary::Bytes(10), kStack, "x"),
              std::vector<std::string>{"x: not read whole"});
    EXPECT_EQ(Tss().check(kStack + 0x1000),
              std::vector<std::string>{"vCPU 1's TSS (Xen's CPU 1): stack_base holds "
                                       "0xffff830000201000, not a stack block (Xen allocates "
                                       "them 32 KiB-aligned)"});
}

// The TR must name the CPU's own TSS: tss_page in its per-CPU area, after
// the shadow-stack IST table, with Xen's selector and limit; the TSS is
// read there whatever TR holds.
TEST(XenTss, TheTaskRegisterIsTiedToTheCpusTss) {
    Fixture f;
    const inspect::XenIdt idt(f.expected);
    auto cpus = cpus_of({kCpu0Idt, kCpu1Idt}, {0b11});
    cpus.stacks_unread.clear();
    cpus.stack_bases = {0xffff830000100000ull, kStack};
    cpus.per_cpu_offsets = {0, kOffset1};
    cpus.tss_page = kTssPage;
    auto read = read_of(1, kCpu1Idt, f.table, 1);
    read.tr = inspect::TaskRegister{0xe040, kTssPage + kOffset1 + 64, 0x67};
    read.tss = Tss().bytes;
    auto judge = [&](const inspect::XenVcpuIdt& r) {
        return idt.judge(std::vector<inspect::XenVcpuIdt>{r}, cpus, "", f.symbols);
    };
    auto verdict = judge(read);
    EXPECT_TRUE(verdict.problems.empty()) << verdict.problems.front();
    EXPECT_EQ(verdict.tss_checked, 1u);
    // 0xffff82d040579000 + 0x7d0c0000 + 0x40, by hand.
    const std::string cpu1_tss = "0xffff82d0bd639040";
    auto turned = read;
    turned.tr->base = kTssPage + 64;  // CPU 0's
    EXPECT_EQ(judge(turned).problems,
              std::vector<std::string>{"vCPU 1's TR points at 0xffff82d040579040, where Xen's CPU "
                                       "1's TSS is " +
                                       cpu1_tss + " (tss_page)"});
    // Compatibility mode: QEMU printed the low half only.
    turned.tr = inspect::TaskRegister{0xe040, 0xbd639040, 0x67, true};
    EXPECT_TRUE(judge(turned).problems.empty());
    turned.tr->base = 0x40579040;
    EXPECT_EQ(judge(turned).problems.size(), 1u);
    // A limit past the I/O bitmap offset would let the bitmap in.
    turned = read;
    turned.tr->limit = 0x8067;
    EXPECT_EQ(judge(turned).problems,
              std::vector<std::string>{"vCPU 1's TR holds selector 0xe040, limit 0x8067, where "
                                       "Xen loads 0xe040, 0x67 (a larger limit would let its I/O "
                                       "bitmap in)"});
    // With the four stacks taken away, in ring 0 with SVM on (an HVM vCPU
    // loaded), the CPU holds a guest's TR: not judged; Xen's TSS still is.
    auto svm = read;
    for (std::size_t v : {2}) svm.table[16 * v + 4] = 0;  // the fixture's one IST gate
    svm.tr->base = 0x12345000;
    svm.tss[44] ^= 0x10;  // and NMI's stack moved
    svm.state.cpl = 0;
    svm.state.efer = 0x1d01;  // SVME, LMA, LME, SCE
    verdict = judge(svm);
    EXPECT_EQ(verdict.not_judged.back(),
              "vCPU 1's TR: its CPU runs in Xen with SVM on and without interrupt stacks, as "
              "while an HVM vCPU's TR is loaded");
    ASSERT_EQ(verdict.problems.size(), 1u);
    EXPECT_TRUE(verdict.problems[0].starts_with("vCPU 1's TSS (Xen's CPU 1): IST 2 (NMI) is "))
        << verdict.problems[0];
    // In a PV guest's context (ring 3), or with SVM off, it is Xen's TR
    // that must be loaded.
    svm.tss[44] ^= 0x10;
    svm.state.cpl = 3;
    EXPECT_EQ(judge(svm).problems.size(), 1u);
    svm.state.cpl = 0;
    svm.state.efer = 0xd01;
    EXPECT_EQ(judge(svm).problems.size(), 1u);
    svm.state.efer.reset();  // not in the dump: not known to be on
    EXPECT_EQ(judge(svm).problems.size(), 1u);
    // An empty TR: an AP before load_system_tables, or a resume.
    auto starting = read;
    starting.tr = inspect::TaskRegister{0, 0, 0xffff};
    verdict = judge(starting);
    EXPECT_TRUE(verdict.problems.empty());
    EXPECT_EQ(verdict.not_judged.back(),
              "vCPU 1's TR is empty: Xen is bringing the CPU online or resuming it");
    // Xen's TSS not mapped.
    auto unmapped = read;
    unmapped.tss.clear();
    verdict = judge(unmapped);
    EXPECT_EQ(verdict.problems, std::vector<std::string>{"Xen's CPU 1's TSS at " + cpu1_tss +
                                                         " is not mapped by Xen's page tables"});
    EXPECT_EQ(verdict.tss_checked, 0u);
}
