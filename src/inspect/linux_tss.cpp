#include "inspect/linux_tss.hpp"

#include <optional>

#include "inspect/task_state.hpp"

namespace drtm::inspect {

std::vector<std::string> linux_tss_problems(const TaskRegister& tr, binary::ByteView tss,
                                            const std::map<int, int>& ists_used,
                                            const std::string& whose) {
    if (tr.base < kCpuEntryAreaPerCpu || tr.base >= kCpuEntryAreaEnd || (tr.base & 0xFFF))
        return {whose + ": TR points at " + binary::hex_number(tr.base) +
                ", not a page of the cpu_entry_area, where Linux maps each CPU's TSS read-only"};
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
    std::uint64_t below = tr.base;  // each stack above the one before
    for (const auto& [ist, vector] : ists_used) {
        if (ist < 1 || ist > 7) continue;
        const auto v = state.ist[static_cast<std::size_t>(ist - 1)];
        const auto at = whose + ": IST " + std::to_string(ist) + " (vector " +
                        std::to_string(vector) + "'s stack) ";
        if (v == 0)
            problems.push_back(at + "is empty");
        else if ((v & 0xFFF) || v <= below || v - tr.base > kExceptionStacksWindow)
            problems.push_back(at + "is " + binary::hex_number(v) +
                               ", not the top of an exception stack in the CPU's cpu_entry_area "
                               "(page-aligned, within " +
                               binary::hex_number(kExceptionStacksWindow) +
                               " bytes above its TSS at " + binary::hex_number(tr.base) +
                               ", above the IST before it)");
        if (v > below) below = v;
    }
    return problems;
}

LinuxTssVerdict judge_linux_tss(std::span<const PausedVcpu* const> vcpus,
                                const std::map<int, int>& ists_used) {
    LinuxTssVerdict r;
    std::map<std::uint64_t, int> owner;  // TSS → the vCPU holding it
    struct First {
        int cpu_index;
        std::uint64_t tss;
        TaskState state;
    };
    std::optional<First> first;
    for (const auto* vcpu : vcpus) {
        if (!vcpu->tr) continue;
        const auto& tr = *vcpu->tr;
        const auto whose = "vCPU " + std::to_string(vcpu->cpu_index);
        if (tr.selector == 0) {
            r.not_judged.push_back(whose +
                                   "'s TR is empty: the kernel is bringing the CPU online or "
                                   "resuming it");
            continue;
        }
        if (tr.base_low_half_only) {
            r.not_judged.push_back(whose +
                                   "'s TSS: the vCPU ran 32-bit code, and QEMU printed only the "
                                   "low half of its TR base");
            continue;
        }
        auto problems = linux_tss_problems(tr, vcpu->tss, ists_used, whose + "'s TSS");
        r.problems.insert(r.problems.end(), problems.begin(), problems.end());
        ++r.checked;
        // Each CPU has its own TSS, busy while loaded.
        if (const auto [other, fresh] = owner.emplace(tr.base, vcpu->cpu_index); !fresh)
            r.problems.push_back(whose + "'s TR points at vCPU " + std::to_string(other->second) +
                                 "'s TSS (" + binary::hex_number(tr.base) +
                                 "), where each CPU has its own");
        if (vcpu->tss.size() != kTssBytes) continue;
        // Every CPU's area is laid out alike: the stacks at the same
        // offsets from its TSS.
        const auto state = decode_task_state(vcpu->tss);
        if (!first) {
            first = First{vcpu->cpu_index, tr.base, state};
            continue;
        }
        const auto& [first_cpu, first_tr, first_state] = *first;
        for (const auto& [ist, vector] : ists_used) {
            if (ist < 1 || ist > 7) continue;
            const auto i = static_cast<std::size_t>(ist - 1);
            if (state.ist[i] - tr.base != first_state.ist[i] - first_tr)
                r.problems.push_back(
                    whose + "'s TSS: IST " + std::to_string(ist) + " lies " +
                    binary::hex_number(state.ist[i] - tr.base) +
                    " bytes above its TSS, where vCPU " + std::to_string(first_cpu) + "'s lies " +
                    binary::hex_number(first_state.ist[i] - first_tr) + " above its own");
        }
    }
    return r;
}

}  // namespace drtm::inspect
