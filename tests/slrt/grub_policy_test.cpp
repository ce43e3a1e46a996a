// GRUB's policies against measurements.md §4 (Linux, 7 slots) and §5 (MB2).
#include <gtest/gtest.h>

#include "slrt/grub_policy.hpp"
#include "slrt/lookup.hpp"

using namespace drtm::slrt;

namespace {

std::uint16_t et(EntityType t) {
    return static_cast<std::uint16_t>(t);
}

}  // namespace

TEST(GrubLinuxPolicy, AllSlotsUsedOnIntel) {
    GrubLinuxPolicyInput in;
    in.slrt_base = 0x1000;
    in.boot_params = 0x2000;
    in.setup_data = 0x3000;
    in.cmd_line_ptr = 0x4000;
    in.cmdline_size = 2047;
    in.efi_memmap = MemoryRange{0x5000, 0x600};
    in.ramdisk_image = 0x6000000;
    in.ramdisk_size = 0x123456;
    in.platform_entry = grub_txt_os_mle_policy_entry(0x7000, 104);
    Policy p = grub_linux_policy(in);
    ASSERT_EQ(p.entries.size(), 7u);
    EXPECT_EQ(p.revision, 1);

    struct Want {
        std::uint16_t pcr;
        EntityType type;
        std::uint16_t flags;
        std::uint64_t entity, size;
        const char* label;
    };
    const Want want[7] = {
        {18, EntityType::slrt, kPolicyFlagImplicitSize, 0x1000, 0, "Measured SLR Table"},
        {18, EntityType::boot_params, 0, 0x2000, 4096, "Measured boot parameters"},
        {18, EntityType::setup_data, kPolicyFlagImplicitSize, 0x3000, 0,
         "Measured Kernel setup_data"},
        {18, EntityType::cmdline, 0, 0x4000, 2047, "Measured Kernel command line"},
        {18, EntityType::uefi_memmap, 0, 0x5000, 0x600, "Measured EFI memory map"},
        {17, EntityType::ramdisk, 0, 0x6000000, 0x123456, "Measured Kernel initrd"},
        {18, EntityType::txt_os2mle, 0, 0x7000, 104, "Measured TXT OS-MLE data"},
    };
    for (int i = 0; i < 7; ++i) {
        SCOPED_TRACE(i);
        const PolicyEntry& e = p.entries[i];
        EXPECT_EQ(e.pcr, want[i].pcr);
        EXPECT_EQ(e.entity_type, et(want[i].type));
        EXPECT_EQ(e.flags, want[i].flags);
        EXPECT_EQ(e.entity, want[i].entity);
        EXPECT_EQ(e.size, want[i].size);
        EXPECT_EQ(e.label(), want[i].label);
    }
}

TEST(GrubLinuxPolicy, UnneededSlotsAreUnusedAndOtherwiseZero) {
    GrubLinuxPolicyInput in;  // AMD, no setup_data, no cmdline, no EFI, no initrd
    in.slrt_base = 0x1000;
    in.boot_params = 0x2000;
    Policy p = grub_linux_policy(in);
    ASSERT_EQ(p.entries.size(), 7u);
    for (int i : {2, 3, 4, 5, 6}) {
        SCOPED_TRACE(i);
        EXPECT_TRUE(p.entries[i].unused());
        EXPECT_EQ(p.entries[i], unused_policy_entry());
        EXPECT_EQ(p.entries[i].pcr, 0);
        EXPECT_EQ(p.entries[i].label(), "");
    }
    EXPECT_EQ(used_policy_entries(p).size(), 2u);
}

TEST(GrubLinuxPolicy, ReproducesTheExtRamdiskSizeBug) {
    GrubLinuxPolicyInput in;
    in.ramdisk_image = 0x10000000;
    in.ramdisk_size = 0x100000010ull;  // an initrd of 4 GiB + 16 bytes
    Policy p = grub_linux_policy(in);
    const PolicyEntry& r = p.entries[5];
    EXPECT_EQ(r.entity, 0x110000000ull);  // ext_ramdisk_size << 32 ORed into the address
    EXPECT_EQ(r.size, 0x10u);             // only the low half of the size
}

TEST(GrubMb2Policy, IntelOrderAndLabels) {
    GrubMb2PolicyInput in;
    in.mbi_addr = 0x9000;
    in.mbi_size = 0x5a8;
    in.slrt_base = 0xA000;
    in.txt_os_mle = MemoryRange{0xB000, 88};
    in.modules = {{0x1000000, 0x800000}, {0x2000000, 0x3000000}};
    Policy p = grub_mb2_policy(in);
    ASSERT_EQ(p.entries.size(), 5u);
    EXPECT_EQ(p.entries[0].entity_type, et(EntityType::multiboot2_info));
    EXPECT_EQ(p.entries[0].pcr, 18);
    EXPECT_EQ(p.entries[0].flags, 0);  // explicit size, not IMPLICIT_SIZE (AEM GRUB)
    EXPECT_EQ(p.entries[0].size, 0x5a8u);
    EXPECT_EQ(p.entries[0].label(), "Measured MB2 information");
    EXPECT_EQ(p.entries[1].entity_type, et(EntityType::slrt));
    EXPECT_EQ(p.entries[1].flags, kPolicyFlagImplicitSize);
    EXPECT_EQ(p.entries[1].entity, 0xA000u);
    EXPECT_EQ(p.entries[2].entity_type, et(EntityType::txt_os2mle));
    EXPECT_EQ(p.entries[2].size, 88u);
    for (int i : {3, 4}) {
        EXPECT_EQ(p.entries[i].pcr, 17);
        EXPECT_EQ(p.entries[i].entity_type, et(EntityType::multiboot2_module));
        EXPECT_EQ(p.entries[i].label(), "Measured MB2 module");
    }
    EXPECT_EQ(p.entries[4].entity, 0x2000000u);
    EXPECT_EQ(p.entries[4].size, 0x3000000u);
}

TEST(GrubMb2Policy, AmdHasNoOsMle) {
    GrubMb2PolicyInput in;
    in.modules = {{1, 2}};
    Policy p = grub_mb2_policy(in);
    ASSERT_EQ(p.entries.size(), 3u);
    EXPECT_EQ(p.entries[2].entity_type, et(EntityType::multiboot2_module));
}

TEST(GrubTable, EntryOrder) {
    Table t = grub_table(Architecture::amd_skinit, 0xF000, DlInfo{}, LogInfo{},
                         grub_linux_policy({}), Entry{AmdInfo{}});
    ASSERT_EQ(t.entries.size(), 4u);
    EXPECT_EQ(entry_tag(t.entries[0]), 1u);
    EXPECT_EQ(entry_tag(t.entries[1]), 2u);
    EXPECT_EQ(entry_tag(t.entries[2]), 3u);
    EXPECT_EQ(entry_tag(t.entries[3]), 5u);
    EXPECT_EQ(t.entry_offset(3), 16u + 72u + 24u + 16u + 7u * 56u);
}

TEST(Names, TagsEntitiesFlags) {
    EXPECT_EQ(tag_name(1), "DL_INFO");
    EXPECT_EQ(tag_name(0xFFFF), "END");
    EXPECT_EQ(tag_name(0x42), "tag 0x0042");
    EXPECT_EQ(entity_type_name(0x10), "TXT_OS2MLE");
    EXPECT_EQ(entity_type_name(0xFFFF), "UNUSED");
    EXPECT_EQ(policy_flags_name(3), "MEASURED|IMPLICIT_SIZE");
    EXPECT_EQ(policy_flags_name(0), "0");
    EXPECT_EQ(policy_flags_name(0x8002), "IMPLICIT_SIZE|0x8000");
    EXPECT_EQ(architecture_name(2), "AMD_SKINIT");
    EXPECT_EQ(log_format_name(2), "TPM20_TCG");
    EXPECT_EQ(bootloader_name(1), "GRUB");
}
