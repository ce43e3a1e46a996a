#include "eventlog/event_types.hpp"

#include <cstdio>
#include <string_view>

namespace drtm::eventlog {

namespace {

std::string_view tcg_name(std::uint32_t type) {
    switch (type) {
        case 0x00:
            return "EV_PREBOOT_CERT";
        case 0x01:
            return "EV_POST_CODE";
        case 0x02:
            return "EV_UNUSED";
        case 0x03:
            return "EV_NO_ACTION";
        case 0x04:
            return "EV_SEPARATOR";
        case 0x05:
            return "EV_ACTION";
        case 0x06:
            return "EV_EVENT_TAG";
        case 0x07:
            return "EV_S_CRTM_CONTENTS";
        case 0x08:
            return "EV_S_CRTM_VERSION";
        case 0x09:
            return "EV_CPU_MICROCODE";
        case 0x0A:
            return "EV_PLATFORM_CONFIG_FLAGS";
        case 0x0B:
            return "EV_TABLE_OF_DEVICES";
        case 0x0C:
            return "EV_COMPACT_HASH";
        case 0x0D:
            return "EV_IPL";
        case 0x0E:
            return "EV_IPL_PARTITION_DATA";
        case 0x0F:
            return "EV_NONHOST_CODE";
        case 0x10:
            return "EV_NONHOST_CONFIG";
        case 0x11:
            return "EV_NONHOST_INFO";
        case 0x12:
            return "EV_OMIT_BOOT_DEVICE_EVENTS";
        case 0x13:
            return "EV_POST_CODE2";
        case 0x80000000:
            return "EV_EFI_EVENT_BASE";
        case 0x80000001:
            return "EV_EFI_VARIABLE_DRIVER_CONFIG";
        case 0x80000002:
            return "EV_EFI_VARIABLE_BOOT";
        case 0x80000003:
            return "EV_EFI_BOOT_SERVICES_APPLICATION";
        case 0x80000004:
            return "EV_EFI_BOOT_SERVICES_DRIVER";
        case 0x80000005:
            return "EV_EFI_RUNTIME_SERVICES_DRIVER";
        case 0x80000006:
            return "EV_EFI_GPT_EVENT";
        case 0x80000007:
            return "EV_EFI_ACTION";
        case 0x80000008:
            return "EV_EFI_PLATFORM_FIRMWARE_BLOB";
        case 0x80000009:
            return "EV_EFI_HANDOFF_TABLES";
        case 0x8000000A:
            return "EV_EFI_PLATFORM_FIRMWARE_BLOB2";
        case 0x8000000B:
            return "EV_EFI_HANDOFF_TABLES2";
        case 0x8000000C:
            return "EV_EFI_VARIABLE_BOOT2";
        case 0x8000000D:
            return "EV_EFI_GPT_EVENT2";
        case 0x80000010:
            return "EV_EFI_HCRTM_EVENT";
        case 0x800000E0:
            return "EV_EFI_VARIABLE_AUTHORITY";
        case 0x800000E1:
            return "EV_EFI_SPDM_FIRMWARE_BLOB";
        case 0x800000E2:
            return "EV_EFI_SPDM_FIRMWARE_CONFIG";
        case 0x800000E3:
            return "EV_EFI_SPDM_DEVICE_POLICY";
        case 0x800000E4:
            return "EV_EFI_SPDM_DEVICE_AUTHORITY";
        default:
            return {};
    }
}

// SDG Table 35 (0x400 base) plus the Secure Launch types of formats.md §5.2.
std::string_view drtm_name(std::uint32_t type) {
    switch (type) {
        case 0x400:
            return "EVTYPE_BASE";
        case 0x401:
            return "EVTYPE_PCRMAPPING";
        case 0x402:
            return "EVTYPE_HASH_START";
        case 0x403:
            return "EVTYPE_COMBINED_HASH";
        case 0x404:
            return "EVTYPE_MLE_HASH";
        case 0x40A:
            return "EVTYPE_BIOSAC_REG_DATA";
        case 0x40B:
            return "EVTYPE_CPU_SCRTM_STAT";
        case 0x40C:
            return "EVTYPE_LCP_CONTROL_HASH";
        case 0x40D:
            return "EVTYPE_ELEMENTS_HASH";
        case 0x40E:
            return "EVTYPE_STM_HASH";
        case 0x40F:
            return "EVTYPE_OSSINITDATA_CAP_HASH";
        case 0x410:
            return "EVTYPE_SINIT_PUBKEY_HASH";
        case 0x411:
            return "EVTYPE_LCP_HASH";
        case 0x412:
            return "EVTYPE_LCP_DETAILS_HASH";
        case 0x413:
            return "EVTYPE_LCP_AUTHORITIES_HASH";
        case 0x414:
            return "EVTYPE_NV_INFO_HASH";
        case 0x415:
            return "EVTYPE_COLD_BOOT_BIOS_HASH";
        case 0x416:
            return "EVTYPE_KM_HASH";
        case 0x417:
            return "EVTYPE_BPM_HASH";
        case 0x418:
            return "EVTYPE_KM_INFO_HASH";
        case 0x419:
            return "EVTYPE_BPM_INFO_HASH";
        case 0x41A:
            return "EVTYPE_BOOT_POL_HASH";
        case 0x4FE:
            return "EVTYPE_RANDOM_VALUE";
        case 0x4FF:
            return "EVTYPE_CAP_VALUE";
        case 0x501:
            return "TBOOT_EVTYPE_HASH";
        case 0x502:
            return "SL_EVTYPE_SECURE_LAUNCH";
        case 0x503:
            return "TXT_EVTYPE_SLAUNCH_START";
        case 0x504:
            return "TXT_EVTYPE_SLAUNCH_END";
        default:
            return {};
    }
}

}  // namespace

std::string event_type_name(std::uint32_t type) {
    std::string_view name = tcg_name(type);
    if (name.empty()) name = drtm_name(type);
    if (!name.empty()) return std::string(name);
    char buf[32];
    std::snprintf(buf, sizeof buf, "unknown (0x%x)", static_cast<unsigned>(type));
    return buf;
}

}  // namespace drtm::eventlog
