#include "slrt/grub_policy.hpp"

namespace drtm::slrt {

namespace {
constexpr std::uint64_t kZeroPageSize = 4096;
constexpr std::uint64_t kLow32 = 0xFFFFFFFFull;
}  // namespace

PolicyEntry make_policy_entry(std::uint16_t pcr, EntityType type, std::uint16_t flags,
                              std::uint64_t entity, std::uint64_t size, std::string_view label) {
    PolicyEntry e;
    e.pcr = pcr;
    e.entity_type = static_cast<std::uint16_t>(type);
    e.flags = flags;
    e.entity = entity;
    e.size = size;
    e.evt_info = make_event_info(label);
    return e;
}

PolicyEntry unused_policy_entry() {
    PolicyEntry e;
    e.entity_type = static_cast<std::uint16_t>(EntityType::unused);
    return e;
}

Policy grub_linux_policy(const GrubLinuxPolicyInput& in) {
    Policy p;
    p.entries.reserve(kGrubLinuxPolicySlots);
    p.entries.push_back(make_policy_entry(kDrtmDataPcr, EntityType::slrt, kPolicyFlagImplicitSize,
                                          in.slrt_base, 0, kLabelSlrt));
    p.entries.push_back(make_policy_entry(kDrtmDataPcr, EntityType::boot_params, 0, in.boot_params,
                                          kZeroPageSize, kLabelBootParams));

    if (in.setup_data != 0)
        p.entries.push_back(make_policy_entry(kDrtmDataPcr, EntityType::setup_data,
                                              kPolicyFlagImplicitSize, in.setup_data, 0,
                                              kLabelSetupData));
    else
        p.entries.push_back(unused_policy_entry());

    if ((in.cmd_line_ptr & kLow32) != 0)
        p.entries.push_back(make_policy_entry(kDrtmDataPcr, EntityType::cmdline, 0, in.cmd_line_ptr,
                                              in.cmdline_size, kLabelCmdline));
    else
        p.entries.push_back(unused_policy_entry());

    if (in.efi_memmap)
        p.entries.push_back(make_policy_entry(kDrtmDataPcr, EntityType::uefi_memmap, 0,
                                              in.efi_memmap->addr, in.efi_memmap->size,
                                              kLabelEfiMemmap));
    else
        p.entries.push_back(unused_policy_entry());

    if ((in.ramdisk_image & kLow32) != 0) {
        // GRUB v11: entity |= ext_ramdisk_size << 32, size = ramdisk_size (low half only).
        std::uint64_t entity = in.ramdisk_image | (in.ramdisk_size & ~kLow32);
        p.entries.push_back(make_policy_entry(kDrtmCodePcr, EntityType::ramdisk, 0, entity,
                                              in.ramdisk_size & kLow32, kLabelInitrd));
    } else {
        p.entries.push_back(unused_policy_entry());
    }

    p.entries.push_back(in.platform_entry ? *in.platform_entry : unused_policy_entry());
    return p;
}

PolicyEntry grub_txt_os_mle_policy_entry(std::uint64_t os_mle_addr, std::uint64_t os_mle_size) {
    return make_policy_entry(kDrtmDataPcr, EntityType::txt_os2mle, 0, os_mle_addr, os_mle_size,
                             kLabelOsMle);
}

Policy grub_mb2_policy(const GrubMb2PolicyInput& in) {
    Policy p;
    p.entries.push_back(make_policy_entry(kDrtmDataPcr, EntityType::multiboot2_info, 0, in.mbi_addr,
                                          in.mbi_size, kLabelMb2Info));
    p.entries.push_back(make_policy_entry(kDrtmDataPcr, EntityType::slrt, kPolicyFlagImplicitSize,
                                          in.slrt_base, 0, kLabelSlrt));
    if (in.txt_os_mle)
        p.entries.push_back(grub_txt_os_mle_policy_entry(in.txt_os_mle->addr, in.txt_os_mle->size));
    for (const MemoryRange& m : in.modules)
        p.entries.push_back(make_policy_entry(kDrtmCodePcr, EntityType::multiboot2_module, 0,
                                              m.addr, m.size, kLabelMb2Module));
    return p;
}

Table grub_table(Architecture architecture, std::uint32_t max_size, const DlInfo& dl_info,
                 const LogInfo& log_info, const Policy& policy,
                 const std::optional<Entry>& platform_info) {
    Table t;
    t.architecture = architecture;
    t.max_size = max_size;
    t.entries = {dl_info, log_info, policy};
    if (platform_info) t.entries.push_back(*platform_info);
    return t;
}

}  // namespace drtm::slrt
