// Xen's IDT held to the gates its golden image leaves there: gates encoded
// by hand from the x86-64 gate descriptor format (Intel SDM vol. 3,
// 6.14.1), not by the code under test. The prediction from a real
// xen-syms is checked end to end (XenInspection.AGateTurnedInXensIdtIsFound).
#include "inspect/xen_idt.hpp"

#include <gtest/gtest.h>

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
              "vCPU 0's IDT vector 2: interrupt stack 5, where the golden Xen's is 2 or none");
    EXPECT_EQ(one(9, gate(kStub, 0, 1)),
              "vCPU 0's IDT vector 9: interrupt stack 1, where the golden Xen's is 0");
    EXPECT_EQ(one(9, gate(kStub, 0, 0, 0x10)),
              "vCPU 0's IDT vector 9: segment 0x10, type 0xe; Xen sets every gate to an interrupt "
              "gate of __HYPERVISOR_CS");
    EXPECT_EQ(one(9, gate(kStub, 0, 0, 0xe008, 0xF)),
              "vCPU 0's IDT vector 9: segment 0xe008, type 0xf; Xen sets every gate to an "
              "interrupt gate of __HYPERVISOR_CS");
    EXPECT_EQ(one(9, gate(kStub, 0, 0, 0xe008, 0xE, false)),
              "vCPU 0's IDT vector 9: not present, where the golden Xen sets autogen_stubs "
              "(autogen_entrypoints)");
}

TEST(XenIdt, ATableNotReadWholeIsSaidSo) {
    Fixture f;
    f.table.resize(100);
    EXPECT_EQ(f.check(), std::vector<std::string>{"vCPU 0's IDT was not read whole"});
}
