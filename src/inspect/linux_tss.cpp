#include "inspect/linux_tss.hpp"

#include "inspect/task_state.hpp"

namespace drtm::inspect {

std::vector<std::string> linux_tss_problems(const TaskRegister& tr, binary::ByteView tss,
                                            const std::map<int, int>& ists_used,
                                            const std::string& whose) {
    if (tr.base < kCpuEntryAreaPerCpu || tr.base >= kCpuEntryAreaEnd)
        return {whose + ": TR points at " + binary::hex_number(tr.base) +
                ", outside the cpu_entry_area where Linux maps each CPU's TSS read-only"};
    if (tr.limit < kTssBytes - 1)
        return {whose + ": TR limit is " + binary::hex_number(tr.limit) +
                ", short of a 64-bit TSS (0x67)"};
    if (tss.size() != kTssBytes)
        return {whose + ": TR points at " + binary::hex_number(tr.base) +
                ", which the vCPU's page tables do not map"};
    const auto state = decode_task_state(tss);
    std::vector<std::string> problems;
    // Before cpu_init's load_sp0 a CPU coming online holds the poison
    // cpu_tss_rw starts with (non-canonical: it faults on use, so it hides
    // nothing).
    if (const auto rsp0 = state.rsp[0]; rsp0 != tr.base && rsp0 != kInitialRsp0)
        problems.push_back(whose + ": rsp0 is " + binary::hex_number(rsp0) +
                           ", where Linux's is the top of the CPU's entry stack, right below its "
                           "TSS (" +
                           binary::hex_number(tr.base) + ")");
    for (const auto& [ist, vector] : ists_used) {
        if (ist < 1 || ist > 7) continue;
        const auto v = state.ist[static_cast<std::size_t>(ist - 1)];
        const auto at = whose + ": IST " + std::to_string(ist) + " (vector " +
                        std::to_string(vector) + "'s stack) ";
        if (v == 0)
            problems.push_back(at + "is empty");
        else if ((v & 0xFFF) || v <= tr.base || v - tr.base > kExceptionStacksWindow)
            problems.push_back(at + "is " + binary::hex_number(v) +
                               ", not the top of an exception stack in the CPU's cpu_entry_area "
                               "(page-aligned, within " +
                               binary::hex_number(kExceptionStacksWindow) +
                               " bytes above its TSS at " + binary::hex_number(tr.base) + ")");
    }
    return problems;
}

}  // namespace drtm::inspect
