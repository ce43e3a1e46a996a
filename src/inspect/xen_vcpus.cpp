#include "inspect/xen_vcpus.hpp"

#include <array>
#include <stdexcept>

#include "binary/bytes.hpp"
#include "inspect/xen_frame_table.hpp"
#include "inspect/xen_inspector.hpp"
#include "inspect/xen_virtual_memory.hpp"

namespace drtm::inspect {

namespace {

// Debian's xen-hypervisor-4.17-amd64 (4.17.x, CONFIG_PV32 off), offsets
// as its code uses them (the sites are named in xen_vcpus.hpp).
constexpr XenVcpuLayout kDebianXen417{
    .build_id = "151b373fd64b321593bf987fd923cd10dabadac4",
    .xen = "Debian's Xen 4.17.7 (xen-hypervisor-4.17-amd64)",
    .domain_max_vcpus = 0x4,
    .domain_vcpus = 0x8,
    .vcpu_id = 0x0,
    .vcpu_domain = 0x10,
    .arch_flags = 0x380,
    .trap_ctxt = 0x490,
    .event_callback = 0x568,
    .failsafe_callback = 0x570,
    .syscall_callback = 0x578,
    .syscall32_callback = 0x580,
    .sysenter_callback = 0x588,
    .guest_table_user = 0xb00,
    .guest_table = 0xb08,
};

constexpr std::array kLayouts = {&kDebianXen417};

constexpr std::uint32_t kMaxVcpus = 4096;  // far above any dom0
constexpr std::uint64_t kTfKernelMode = 1;
constexpr unsigned kTraps = 256;
constexpr std::uint64_t kTrapInfoSize = 16;

}  // namespace

const XenVcpuLayout* xen_vcpu_layout(std::string_view build_id) {
    for (const auto* l : kLayouts)
        if (l->build_id == build_id) return l;
    return nullptr;
}

XenDom0Vcpus XenDom0Vcpus::read_layout(const XenGolden& xen, const GuestMemory& ram) {
    const auto* layout = xen_vcpu_layout(xen.build_id());
    if (!layout)
        throw std::runtime_error("the layout of struct vcpu in this Xen build (build ID " +
                                 xen.build_id() + ") is not known to this drtm");
    const auto memory = XenVirtualMemory::locate(xen, ram);
    const auto dom0 = memory.variable(xen, ram, "hardware_domain", 8);
    if (dom0 < kXenDirectMapStart)
        throw std::runtime_error("Xen's hardware_domain (" + binary::hex_number(dom0) +
                                 ") is not an address in its directmap");
    return XenDom0Vcpus(*layout, memory.idle_pg_table(), dom0);
}

std::vector<Dom0Vcpu> XenDom0Vcpus::read(const GuestMemory& ram) const {
    const XenVirtualMemory memory(idle_pg_table_);
    const auto& l = layout_;
    const auto max = memory.read(ram, hardware_domain_ + l.domain_max_vcpus, 4, "dom0's max_vcpus");
    if (max == 0 || max > kMaxVcpus)
        throw std::runtime_error("dom0's max_vcpus reads " + std::to_string(max) +
                                 ": struct domain is not laid out as in " + std::string(l.xen));
    const auto array = memory.read(ram, hardware_domain_ + l.domain_vcpus, 8, "dom0's vcpu array");
    std::vector<Dom0Vcpu> out;
    for (std::uint32_t i = 0; i < max; ++i) {
        const auto v =
            memory.read(ram, array + 8ull * i, 8, "dom0's vcpu[" + std::to_string(i) + "]");
        if (v == 0) continue;  // never allocated
        const std::string whose = "dom0's vCPU " + std::to_string(i);
        // The layout checks out on every vCPU, or nothing read is used.
        if (memory.read(ram, v + l.vcpu_domain, 8, whose + " domain") != hardware_domain_ ||
            memory.read(ram, v + l.vcpu_id, 4, whose + " vcpu_id") != i)
            throw std::runtime_error(whose + " (struct vcpu at " + binary::hex_number(v) +
                                     ") does not name dom0 and its own index: struct vcpu is "
                                     "not laid out as in " +
                                     std::string(l.xen));
        Dom0Vcpu d;
        d.id = i;
        d.kernel_table = memory.read(ram, v + l.guest_table, 8, whose + " guest_table") << 12;
        d.user_table = memory.read(ram, v + l.guest_table_user, 8, whose + " guest_table_user")
                       << 12;
        d.kernel_mode = memory.read(ram, v + l.arch_flags, 8, whose + " flags") & kTfKernelMode;
        const std::pair<const char*, std::uint32_t> callbacks[] = {
            {"event callback", l.event_callback},
            {"failsafe callback", l.failsafe_callback},
            {"syscall callback", l.syscall_callback},
            {"syscall32 callback", l.syscall32_callback},
            {"sysenter callback", l.sysenter_callback}};
        for (const auto& [what, offset] : callbacks)
            if (const auto at = memory.read(ram, v + offset, 8, whose + " " + what))
                d.entry_points.emplace_back(what, at);
        // struct trap_info { u8 vector, flags; u16 cs; unsigned long address; }.
        if (const auto traps = memory.read(ram, v + l.trap_ctxt, 8, whose + " trap_ctxt")) {
            const auto what = whose + "'s trap table";
            for (unsigned t = 0; t < kTraps; ++t)
                if (const auto at = memory.read(ram, traps + t * kTrapInfoSize + 8, 8, what)) {
                    d.entry_points.emplace_back("trap " + std::to_string(t), at);
                    d.trap_flags[t] = static_cast<std::uint8_t>(
                        memory.read(ram, traps + t * kTrapInfoSize + 1, 1, what));
                }
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace drtm::inspect
