// dom0's vCPUs as Xen holds them (struct vcpu): each one's kernel and
// user top-level page tables (arch.guest_table, arch.guest_table_user) and
// the addresses it enters the guest kernel at, which the kernel registered
// with Xen (its trap table and its event, failsafe, syscall and sysenter
// callbacks). A vCPU Xen has descheduled, or one in user mode, comes back
// into dom0's kernel through these, on these tables: what the vCPU
// registers of the pause cannot show.
//
// Xen's xen-syms carries no DWARF, so the struct offsets are known per
// build, by its GNU build ID. Each was read off that build's own machine
// code at two or more sites that agree (the asm-offsets uses in entry.S:
// VCPU_trap_ctxt, VCPU_event_addr, VCPU_syscall_addr, VCPU_cr3;
// update_cr3 and vcpu_show_registers for the page tables;
// register_guest_callback for every callback; do_vcpu_op for the
// domain's vCPU array), and each read is checked: every vCPU's domain
// pointer must be dom0's and its vcpu_id its index, or nothing is used.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/guest_memory.hpp"

namespace drtm::inspect {

class XenGolden;

// Offsets into struct domain and struct vcpu of one Xen build.
struct XenVcpuLayout {
    std::string_view build_id;  // hex, as GoldenCode::build_id() gives it
    std::string_view xen;       // which build, for messages
    std::uint32_t domain_max_vcpus, domain_vcpus;
    std::uint32_t vcpu_id, vcpu_domain, arch_flags;
    std::uint32_t trap_ctxt;  // struct trap_info[256]: 16 bytes each, flags at +1, address at +8
    std::uint32_t event_callback, failsafe_callback, syscall_callback, syscall32_callback,
        sysenter_callback;
    std::uint32_t guest_table_user, guest_table;  // pagetable_t: a frame number
};

// The layout of the Xen build with this build ID; null when not known.
const XenVcpuLayout* xen_vcpu_layout(std::string_view build_id);

struct Dom0Vcpu {
    std::uint32_t id = 0;
    std::uint64_t kernel_table = 0;  // machine address; 0 when the vCPU has none yet
    std::uint64_t user_table = 0;
    bool kernel_mode = false;  // TF_kernel_mode: on its kernel table now
    // Where it enters the kernel, by what ("event callback", "trap 14"):
    // only those the kernel registered (non-zero).
    std::vector<std::pair<std::string, std::uint64_t>> entry_points;
    // Each registered trap's flags (struct trap_info): its DPL in bits 0-1
    // (the least privileged guest ring that may raise it with `int n`: 3
    // lets user mode) and bit 2 set when Xen masks events on entry, as an
    // interrupt gate clears IF.
    std::array<std::uint8_t, 256> trap_flags{};
};

class XenDom0Vcpus {
  public:
    // Before the pause, from the located Xen: its idle_pg_table (through
    // which every read goes, as Xen reads its directmap) and
    // hardware_domain. Throws std::runtime_error when the build's layout
    // is not known or Xen's variables are not where they should be.
    static XenDom0Vcpus read_layout(const XenGolden& xen, const GuestMemory& ram);
    // The same from the values themselves (tests).
    XenDom0Vcpus(const XenVcpuLayout& layout, std::uint64_t idle_pg_table,
                 std::uint64_t hardware_domain)
        : layout_(layout), idle_pg_table_(idle_pg_table), hardware_domain_(hardware_domain) {}

    // In the pause: every vCPU dom0 has. Throws std::runtime_error naming
    // the first read that fails or does not check out.
    std::vector<Dom0Vcpu> read(const GuestMemory& ram) const;

  private:
    XenVcpuLayout layout_;
    std::uint64_t idle_pg_table_ = 0, hardware_domain_ = 0;
};

}  // namespace drtm::inspect
