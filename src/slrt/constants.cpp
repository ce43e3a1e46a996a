#include "slrt/constants.hpp"

#include <cstdio>

namespace drtm::slrt {
namespace {

std::string hex_value(std::uint32_t value) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%04x", value);
    return buf;
}

}  // namespace

std::string tag_name(std::uint32_t tag) {
    switch (static_cast<Tag>(tag)) {
        case Tag::invalid:
            return "INVALID";
        case Tag::dl_info:
            return "DL_INFO";
        case Tag::log_info:
            return "LOG_INFO";
        case Tag::entry_policy:
            return "ENTRY_POLICY";
        case Tag::intel_info:
            return "INTEL_INFO";
        case Tag::amd_info:
            return "AMD_INFO";
        case Tag::arm_info:
            return "ARM_INFO";
        case Tag::uefi_info:
            return "UEFI_INFO";
        case Tag::uefi_config:
            return "UEFI_CONFIG";
        case Tag::end:
            return "END";
    }
    return "tag " + hex_value(tag);
}

std::string architecture_name(std::uint16_t architecture) {
    switch (static_cast<Architecture>(architecture)) {
        case Architecture::intel_txt:
            return "INTEL_TXT";
        case Architecture::amd_skinit:
            return "AMD_SKINIT";
    }
    return "architecture " + hex_value(architecture);
}

bool is_known_architecture(std::uint16_t architecture) {
    return architecture == static_cast<std::uint16_t>(Architecture::intel_txt) ||
           architecture == static_cast<std::uint16_t>(Architecture::amd_skinit);
}

std::string entity_type_name(std::uint16_t entity_type) {
    switch (static_cast<EntityType>(entity_type)) {
        case EntityType::unspecified:
            return "UNSPECIFIED";
        case EntityType::slrt:
            return "SLRT";
        case EntityType::boot_params:
            return "BOOT_PARAMS";
        case EntityType::setup_data:
            return "SETUP_DATA";
        case EntityType::cmdline:
            return "CMDLINE";
        case EntityType::uefi_memmap:
            return "UEFI_MEMMAP";
        case EntityType::ramdisk:
            return "RAMDISK";
        case EntityType::multiboot2_info:
            return "MULTIBOOT2_INFO";
        case EntityType::multiboot2_module:
            return "MULTIBOOT2_MODULE";
        case EntityType::txt_os2mle:
            return "TXT_OS2MLE";
        case EntityType::unused:
            return "UNUSED";
    }
    return "entity " + hex_value(entity_type);
}

std::string log_format_name(std::uint16_t format) {
    switch (static_cast<LogFormat>(format)) {
        case LogFormat::tpm12_txt:
            return "TPM12_TXT";
        case LogFormat::tpm20_tcg:
            return "TPM20_TCG";
    }
    return "format " + hex_value(format);
}

std::string bootloader_name(std::uint16_t bootloader) {
    switch (static_cast<Bootloader>(bootloader)) {
        case Bootloader::invalid:
            return "INVALID";
        case Bootloader::grub:
            return "GRUB";
    }
    return "bootloader " + hex_value(bootloader);
}

std::string policy_flags_name(std::uint16_t flags) {
    if (flags == 0) return "0";
    std::string out;
    auto add = [&](std::string_view part) {
        if (!out.empty()) out += '|';
        out += part;
    };
    if (flags & kPolicyFlagMeasured) add("MEASURED");
    if (flags & kPolicyFlagImplicitSize) add("IMPLICIT_SIZE");
    std::uint16_t rest = flags & ~(kPolicyFlagMeasured | kPolicyFlagImplicitSize);
    if (rest) add(hex_value(rest));
    return out;
}

}  // namespace drtm::slrt
