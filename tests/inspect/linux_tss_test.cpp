// A native Linux vCPU's TSS against the rules of linux_tss.hpp. The clean
// TSS is the one QEMU's monitor showed for vCPU 0 of the Debian 6.1 guest
// (`info registers`: TR =0040 fffffe0000003000 00004087; `x/13gx` at
// the base), field by field from the x86-64 TSS layout (Intel SDM vol. 3,
// 8.7): rsp0 at 4, rsp1 at 12, rsp2 at 20, IST n at 36 + 8 (n - 1), the
// I/O bitmap offset at 102.
#include "inspect/linux_tss.hpp"

#include <gtest/gtest.h>

#include "inspect/task_state.hpp"

#include <map>

using namespace drtm;

namespace {

constexpr std::uint64_t kTss = 0xfffffe0000003000ull;
// The Debian kernel's gates: #DF on IST 1 (vector 8), NMI 2, #DB 3 (vector
// 1), #MC 4 (vector 18), #VC 5 (vector 29).
const std::map<int, int> kIstsUsed = {{1, 8}, {2, 2}, {3, 1}, {4, 18}, {5, 29}};

struct Tss {
    inspect::TaskRegister tr{0x40, kTss, 0x4087};
    binary::Bytes bytes = binary::Bytes(inspect::kTssBytes, 0);
    Tss() {
        put(4, kTss);                    // rsp0: the entry stack's top
        put(20, 0x00007ffc54270328ull);  // rsp2: the entry code's scratch (a user RSP)
        put(36, 0xfffffe000000b000ull);  // IST 1, #DF
        put(44, 0xfffffe000000e000ull);  // IST 2, NMI
        put(52, 0xfffffe0000011000ull);  // IST 3, #DB
        put(60, 0xfffffe0000014000ull);  // IST 4, #MC
        put(68, 0xfffffe0000017000ull);  // IST 5, #VC
        bytes[102] = 0x88, bytes[103] = 0x40;
    }
    void put(std::size_t at, std::uint64_t v) {
        for (int i = 0; i < 8; ++i) bytes[at + i] = (v >> (8 * i)) & 0xFF;
    }
    std::vector<std::string> check() const {
        return inspect::linux_tss_problems(tr, bytes, kIstsUsed, "vCPU 0's TSS");
    }
};

}  // namespace

TEST(LinuxTss, TheStacksLinuxSetsPass) {
    Tss t;
    EXPECT_TRUE(t.check().empty());
    // A CPU coming online before load_sp0 holds cpu_tss_rw's poison.
    t.put(4, 0x8000000000000001ull);
    EXPECT_TRUE(t.check().empty());
    // ioperm() gives a task an I/O bitmap: not judged.
    t.bytes[102] = 0x68, t.bytes[103] = 0;
    EXPECT_TRUE(t.check().empty());
}

TEST(LinuxTss, EachStackAimedElsewhereIsNamed) {
    auto one = [](std::size_t at, std::uint64_t v) {
        Tss t;
        t.put(at, v);
        const auto problems = t.check();
        return problems.size() == 1 ? problems[0] : std::to_string(problems.size()) + " problems";
    };
    EXPECT_EQ(one(44, 0xffff888003a00000ull),
              "vCPU 0's TSS: IST 2 (vector 2's stack) is 0xffff888003a00000, not the top of an "
              "exception stack in the CPU's cpu_entry_area (page-aligned, within 0x40000 bytes "
              "above its TSS at 0xfffffe0000003000, above the IST before it)");
    EXPECT_EQ(one(44, 0xfffffe000000df00ull),
              "vCPU 0's TSS: IST 2 (vector 2's stack) is 0xfffffe000000df00, not the top of an "
              "exception stack in the CPU's cpu_entry_area (page-aligned, within 0x40000 bytes "
              "above its TSS at 0xfffffe0000003000, above the IST before it)");
    // NMI's stack below #DF's: the stacks follow the IST numbers.
    EXPECT_EQ(one(44, 0xfffffe0000009000ull),
              "vCPU 0's TSS: IST 2 (vector 2's stack) is 0xfffffe0000009000, not the top of an "
              "exception stack in the CPU's cpu_entry_area (page-aligned, within 0x40000 bytes "
              "above its TSS at 0xfffffe0000003000, above the IST before it)");
    EXPECT_EQ(one(36, 0), "vCPU 0's TSS: IST 1 (vector 8's stack) is empty");
    EXPECT_EQ(one(4, 0xffffc90000010000ull),
              "vCPU 0's TSS: rsp0 is 0xffffc90000010000, where Linux's is the top of the CPU's "
              "entry stack, right below its TSS (0xfffffe0000003000)");
    // IST 6, which no gate uses: not judged.
    EXPECT_EQ(one(76, 0x1234), "0 problems");
}

TEST(LinuxTss, ATaskRegisterOutsideTheEntryAreaIsNamed) {
    Tss t;
    t.tr.base = 0xffff888003a05000ull;
    EXPECT_EQ(t.check(), std::vector<std::string>{
                             "vCPU 0's TSS: TR points at 0xffff888003a05000, not a page of the "
                             "cpu_entry_area, where Linux maps each CPU's TSS read-only"});
    t.tr.base = kTss + 0x40;
    EXPECT_EQ(t.check().size(), 1u);
    t.tr.base = kTss;
    t.tr.limit = 0x40;
    EXPECT_EQ(t.check(), std::vector<std::string>{
                             "vCPU 0's TSS: TR limit is 0x40, short of a 64-bit TSS (0x67)"});
    t.tr.limit = 0x4087;
    t.bytes.clear();
    EXPECT_EQ(t.check(), std::vector<std::string>{
                             "vCPU 0's TSS: TR points at 0xfffffe0000003000, which the vCPU's "
                             "page tables do not map"});
}

namespace {

inspect::PausedVcpu vcpu_with(int index, const Tss& t) {
    inspect::PausedVcpu v;
    v.cpu_index = index;
    v.tr = t.tr;
    v.tss = t.bytes;
    return v;
}

std::vector<std::string> judged_problems(const std::vector<inspect::PausedVcpu>& vcpus) {
    std::vector<const inspect::PausedVcpu*> judged;
    for (const auto& v : vcpus) judged.push_back(&v);
    return inspect::judge_linux_tss(judged, kIstsUsed).problems;
}

// CPU 1's area, 0x3b000 bytes on (the Debian kernel's cpu_entry_area size).
Tss second_cpu() {
    Tss t;
    constexpr std::uint64_t kNext = 0x3b000;
    t.tr.base += kNext;
    t.put(4, kTss + kNext);
    for (int i = 0; i < 5; ++i) {
        std::uint64_t v = 0;
        for (int b = 0; b < 8; ++b) v |= std::uint64_t(t.bytes[36 + 8 * i + b]) << (8 * b);
        t.put(36 + 8 * i, v + kNext);
    }
    return t;
}

}  // namespace

TEST(LinuxTss, EachCpuHasItsOwnAlike) {
    EXPECT_TRUE(judged_problems({vcpu_with(0, Tss()), vcpu_with(1, second_cpu())}).empty());
    EXPECT_EQ(judged_problems({vcpu_with(0, Tss()), vcpu_with(1, Tss())}),
              std::vector<std::string>{"vCPU 1's TR points at vCPU 0's TSS (0xfffffe0000003000), "
                                       "where each CPU has its own"});
    // CPU 1's NMI stack a page lower than CPU 0's (still in order).
    auto moved = second_cpu();
    moved.put(44, kTss + 0x3b000 + 0xa000);
    EXPECT_EQ(judged_problems({vcpu_with(0, Tss()), vcpu_with(1, moved)}),
              std::vector<std::string>{"vCPU 1's TSS: IST 2 lies 0xa000 bytes above its TSS, "
                                       "where vCPU 0's lies 0xb000 above its own"});
}

TEST(LinuxTss, AnEmptyOr32BitTaskRegisterIsNotJudged) {
    Tss empty;
    empty.tr = {0, 0, 0xffff};
    Tss compat;
    compat.tr = {0x40, 0x00003000, 0x4087, true};
    std::vector<inspect::PausedVcpu> vcpus = {vcpu_with(0, empty), vcpu_with(1, compat)};
    std::vector<const inspect::PausedVcpu*> judged = {&vcpus[0], &vcpus[1]};
    const auto r = inspect::judge_linux_tss(judged, kIstsUsed);
    EXPECT_TRUE(r.problems.empty());
    EXPECT_EQ(r.checked, 0u);
    EXPECT_EQ(r.not_judged,
              (std::vector<std::string>{
                  "vCPU 0's TR is empty: the kernel is bringing the CPU online or resuming it",
                  "vCPU 1's TSS: the vCPU ran 32-bit code, and QEMU printed only the low half of "
                  "its TR base"}));
}
