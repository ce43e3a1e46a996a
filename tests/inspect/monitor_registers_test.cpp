// Each vCPU's IDTR and TR from QEMU's register dump: dumps written by hand in the
// layout of QEMU 7.2's `info registers -a` as QMP returns it (monitor line
// ends "\r\n"), values chosen here.
#include "inspect/monitor_registers.hpp"

#include <gtest/gtest.h>

using drtm::inspect::DescriptorTableRegister;
using drtm::inspect::TaskRegister;

namespace {

std::vector<DescriptorTableRegister> idtrs_from_register_dump(std::string_view dump,
                                                              std::span<const int> cpus) {
    std::vector<DescriptorTableRegister> idtrs;
    for (const auto& r : drtm::inspect::system_registers_from_dump(dump, cpus))
        idtrs.push_back(r.idtr);
    return idtrs;
}

}  // namespace

namespace {

std::string vcpu_dump(int cpu, const char* idt_line,
                      const char* tr_line =
                          "TR =0040 fffffe0000003000 00004087 00008b00 DPL=0 "
                          "TSS64-busy") {
    return "\r\nCPU#" + std::to_string(cpu) +
           "\r\nRAX=000000000001ad40 RBX=0000000000000000 RCX=0000000000000000 "
           "RDX=4000000000000000\r\n"
           "LDT=0000 0000000000000000 00000000 00008200 DPL=0 LDT\r\n" +
           std::string(tr_line) + "\r\nGDT=     fffffe0000001000 0000007f\r\n" +
           std::string(idt_line) + "\r\nCR0=80050033 CR2=00000000005794a9 CR3=0000000005f06000\r\n";
}

}  // namespace

TEST(MonitorRegisters, EachVcpusIdtrInTheOrderAsked) {
    const auto dump = vcpu_dump(0, "IDT=     fffffe0000000000 00000fff") +
                      vcpu_dump(1, "IDT=     ffffffff83313000 000001ff");
    const int cpus[] = {0, 1};
    const auto idtrs = idtrs_from_register_dump(dump, cpus);
    ASSERT_EQ(idtrs.size(), 2u);
    EXPECT_EQ(idtrs[0], (DescriptorTableRegister{0xfffffe0000000000ull, 0xfff}));
    EXPECT_EQ(idtrs[1], (DescriptorTableRegister{0xffffffff83313000ull, 0x1ff}));
}

TEST(MonitorRegisters, AVcpuStillInRealModeHasA32BitBase) {
    const int cpus[] = {1};
    const auto idtrs = idtrs_from_register_dump(vcpu_dump(1, "IDT=     00000000 0000ffff"), cpus);
    EXPECT_EQ(idtrs.at(0), (DescriptorTableRegister{0, 0xffff}));
}

// CPU#1 is not the first four characters of CPU#10.
TEST(MonitorRegisters, OneVcpusIndexIsNotTheStartOfAnothers) {
    const auto dump = vcpu_dump(10, "IDT=     0000000000001000 00000fff") +
                      vcpu_dump(1, "IDT=     0000000000002000 00000fff");
    const int cpus[] = {1};
    EXPECT_EQ(idtrs_from_register_dump(dump, cpus).at(0).base, 0x2000u);
}

TEST(MonitorRegisters, WhatIsMissingOrMalformedIsNamed) {
    const int cpus[] = {0, 1};
    auto message = [&](const std::string& dump) {
        try {
            idtrs_from_register_dump(dump, cpus);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    const auto good = vcpu_dump(0, "IDT=     fffffe0000000000 00000fff");
    EXPECT_EQ(message(good),
              "QEMU's register dump, vCPU 1: not in the dump after the vCPU before it");
    EXPECT_EQ(message(""), "QEMU's register dump, vCPU 0: not in the dump");
    // Listed out of order: vCPU 0 after vCPU 1.
    EXPECT_EQ(message(vcpu_dump(1, "IDT=     0 fff") + good),
              "QEMU's register dump, vCPU 1: not in the dump after the vCPU before it");
    EXPECT_EQ(message(vcpu_dump(0, "LDT=0000 0000000000000000") + vcpu_dump(1, "IDT= 0 fff")),
              "QEMU's register dump, vCPU 0: no IDT= line");
    EXPECT_EQ(message(vcpu_dump(0, "IDT=     zz 00000fff")),
              "QEMU's register dump, vCPU 0: the IDT line's base is not a hex number");
    EXPECT_EQ(message(vcpu_dump(0, "IDT=     fffffe0000000000")),
              "QEMU's register dump, vCPU 0: the IDT line's limit is not a hex number");
    EXPECT_EQ(message(vcpu_dump(0, "IDT=     fffffe0000000000 00010000")),
              "QEMU's register dump, vCPU 0: the IDT limit is wider than 16 bits");
}

// The task register's cached descriptor: selector, base, limit, flags.
TEST(MonitorRegisters, EachVcpusTaskRegister) {
    const auto dump = vcpu_dump(0, "IDT=     ffff82d040577000 00000fff",
                                "TR =e040 ffff82d040579000 00000067 00008b00 DPL=0 TSS64-busy") +
                      vcpu_dump(1, "IDT=     ffff830000123000 00000fff",
                                "TR =e040 ffff83003fb9c000 00000067 00008900 DPL=0 TSS64-avl");
    const int cpus[] = {0, 1};
    const auto r = drtm::inspect::system_registers_from_dump(dump, cpus);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].tr, (TaskRegister{0xe040, 0xffff82d040579000ull, 0x67}));
    EXPECT_EQ(r[1].tr, (TaskRegister{0xe040, 0xffff83003fb9c000ull, 0x67}));
    EXPECT_EQ(r[1].idtr.base, 0xffff830000123000ull);
    // In compatibility mode QEMU prints the base's low 32 bits only.
    const auto compat = drtm::inspect::system_registers_from_dump(
        vcpu_dump(0, "IDT=     ffff82d040577000 00000fff",
                  "TR =e040 40579040 00000067 00008b00 DPL=0 TSS64-busy"),
        std::span<const int>(cpus, 1));
    EXPECT_EQ(compat.at(0).tr.base, 0x40579040u);
    EXPECT_TRUE(compat.at(0).tr.base_low_half_only);
    EXPECT_FALSE(r[0].tr.base_low_half_only);
    // Nothing of the vCPU's state in these dumps: unknown.
    EXPECT_EQ(r[0].state, drtm::inspect::VcpuState{});
    const auto with_state = drtm::inspect::system_registers_from_dump(
        "\r\nCPU#0\r\nRIP=ffff82d04022d6b5 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 "
        "HLT=1\r\nTR =e040 ffff82d040579040 00000067 00008b00 DPL=0 TSS64-busy\r\n"
        "IDT=     ffff82d040577000 00000fff\r\nEFER=0000000000001d01\r\n",
        std::span<const int>(cpus, 1));
    EXPECT_EQ(with_state.at(0).state.cpl, std::optional<unsigned>(0));
    EXPECT_EQ(with_state.at(0).state.halted, std::optional<bool>(true));
    EXPECT_EQ(with_state.at(0).state.efer, std::optional<std::uint64_t>(0x1d01));
    auto message = [&](const std::string& dump) {
        try {
            drtm::inspect::system_registers_from_dump(dump, std::span<const int>(cpus, 1));
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(message(vcpu_dump(0, "IDT=     0 fff", "ES =0000 0 0 0")),
              "QEMU's register dump, vCPU 0: no TR = line");
    EXPECT_EQ(message(vcpu_dump(0, "IDT=     0 fff", "TR =e040 xyz")),
              "QEMU's register dump, vCPU 0: the TR line's base is not a hex number");
    EXPECT_EQ(message(vcpu_dump(0, "IDT=     0 fff", "TR =1e040 0 67")),
              "QEMU's register dump, vCPU 0: the TR selector is wider than 16 bits");
}
