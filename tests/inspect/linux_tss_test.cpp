// A native Linux vCPU's TSS against the rules of linux_tss.hpp. The clean
// TSS is the one QEMU's monitor showed for vCPU 0 of the Debian 6.1 guest
// (`info registers`: TR =0040 fffffe0000003000 00004087; `x/13gx` at
// the base), field by field from the x86-64 TSS layout (Intel SDM vol. 3,
// 8.7): rsp0 at 4, rsp1 at 12, rsp2 at 20, IST n at 36 + 8 (n - 1), the
// I/O bitmap offset at 102.
#include "inspect/linux_tss.hpp"

#include <gtest/gtest.h>

#include "inspect/task_state.hpp"

using namespace drtm;

namespace {

constexpr std::uint64_t kTss = 0xfffffe0000003000ull;

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
        // The Debian kernel's gates: #DF on IST 1 (vector 8), NMI 2, #DB 3
        // (vector 1), #MC 4 (vector 18).
        return inspect::linux_tss_problems(tr, bytes, {{1, 8}, {2, 2}, {3, 1}, {4, 18}},
                                           "vCPU 0's TSS");
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
              "above its TSS at 0xfffffe0000003000)");
    EXPECT_EQ(one(44, 0xfffffe000000df00ull),
              "vCPU 0's TSS: IST 2 (vector 2's stack) is 0xfffffe000000df00, not the top of an "
              "exception stack in the CPU's cpu_entry_area (page-aligned, within 0x40000 bytes "
              "above its TSS at 0xfffffe0000003000)");
    EXPECT_EQ(one(36, 0), "vCPU 0's TSS: IST 1 (vector 8's stack) is empty");
    EXPECT_EQ(one(4, 0xffffc90000010000ull),
              "vCPU 0's TSS: rsp0 is 0xffffc90000010000, where Linux's is the top of the CPU's "
              "entry stack, right below its TSS (0xfffffe0000003000)");
    // IST 5 (#VC) is used by no gate of this kernel: not judged.
    EXPECT_EQ(one(68, 0x1234), "0 problems");
}

TEST(LinuxTss, ATaskRegisterOutsideTheEntryAreaIsNamed) {
    Tss t;
    t.tr.base = 0xffff888003a05000ull;
    EXPECT_EQ(t.check(), std::vector<std::string>{
                             "vCPU 0's TSS: TR points at 0xffff888003a05000, outside the "
                             "cpu_entry_area where Linux maps each CPU's TSS read-only"});
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
