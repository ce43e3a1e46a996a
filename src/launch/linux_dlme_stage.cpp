#include "launch/linux_dlme_stage.hpp"

#include <stdexcept>

#include "binary/error.hpp"
#include "crypto/digest.hpp"
#include "launch/event_types.hpp"
#include "launch/slrt_in_memory.hpp"
#include "slrt/constants.hpp"
#include "slrt/lookup.hpp"
#include "slrt/measured_slrt.hpp"

namespace drtm::launch {

namespace {
constexpr std::uint8_t kDlmeLocality = 2;
const std::string kStage = "Linux";
constexpr std::uint64_t kBootParamsSize = 4096;
constexpr std::uint32_t kSetupIndirect = 1u << 31;
constexpr int kMaxSetupData = 256;  // a loop in the list must not hang the launch

std::vector<std::pair<HashAlg, Bytes>> zero_digests(const std::vector<HashAlg>& banks) {
    std::vector<std::pair<HashAlg, Bytes>> out;
    for (HashAlg b : banks) out.emplace_back(b, crypto::zero_digest(b));
    return out;
}

// Linux struct setup_data: u64 next, u32 type, u32 len, u8 data[len].
// SETUP_INDIRECT's payload is struct setup_indirect: u32 type, u32 reserved,
// u64 len, u64 addr; the measured bytes are the buffer at addr.
void measure_setup_data(Measurer& m, const PhysicalMemory& mem, const slrt::PolicyEntry& e) {
    const std::string label_text = e.label();
    const auto label = binary::as_bytes(label_text);
    std::uint64_t addr = e.entity;
    for (int n = 0; addr != 0; ++n) {
        if (n == kMaxSetupData)
            throw std::runtime_error("setup_data list longer than " +
                                     std::to_string(kMaxSetupData) + " entries (a loop?)");
        std::uint64_t next = mem.read_u64(addr);
        std::uint32_t type = mem.read_u32(addr + 8);
        std::uint32_t len = mem.read_u32(addr + 12);
        if (type == slrt::kSetupSecureLaunch) {
            // The SLRT's own AMD entry is chained here; it is measured as the SLRT.
        } else if (type == kSetupIndirect) {
            std::uint64_t ind_len = mem.read_u64(addr + 16 + 8);
            std::uint64_t ind_addr = mem.read_u64(addr + 16 + 16);
            m.measure(kStage, kDlmeLocality, e.pcr, evtype::kSecureLaunch, label,
                      mem.read(ind_addr, ind_len));
        } else {
            m.measure(kStage, kDlmeLocality, e.pcr, evtype::kSecureLaunch, label,
                      mem.read(addr + 16, len));
        }
        addr = next;
    }
}
}  // namespace

void run_linux_dlme_stage(Measurer& m, const PhysicalMemory& memory, std::uint64_t slrt_addr) {
    const slrt::Table table = read_slrt(memory, slrt_addr);
    const slrt::Policy* policy = slrt::find_policy(table);
    if (!policy)
        throw std::runtime_error("SLRT at " + binary::format_offset(slrt_addr) +
                                 " has no policy entry");

    m.log_only(kStage, 17, evtype::kSlaunchStart, {}, zero_digests(m.log_banks()));
    for (const slrt::PolicyEntry& e : policy->entries) {
        if (e.unused() || (e.flags & slrt::kPolicyFlagMeasured)) continue;
        const std::string label_text = e.label();
        const auto label = binary::as_bytes(label_text);
        switch (static_cast<slrt::EntityType>(e.entity_type)) {
            case slrt::EntityType::slrt: {
                auto bytes = slrt::measured_slrt_bytes(table);
                if (bytes)
                    m.measure(kStage, kDlmeLocality, e.pcr, evtype::kSecureLaunch, label, *bytes);
                break;
            }
            case slrt::EntityType::boot_params:
                m.measure(kStage, kDlmeLocality, e.pcr, evtype::kSecureLaunch, label,
                          memory.read(e.entity, e.size ? e.size : kBootParamsSize));
                break;
            case slrt::EntityType::setup_data:
                measure_setup_data(m, memory, e);
                break;
            case slrt::EntityType::cmdline:
            case slrt::EntityType::ramdisk:
            case slrt::EntityType::uefi_memmap:
                m.measure(kStage, kDlmeLocality, e.pcr, evtype::kSecureLaunch, label,
                          memory.read(e.entity, e.size));
                break;
            case slrt::EntityType::txt_os2mle:
                // OS-MLE version 1: Linux measures nothing (measurements.md §4).
                break;
            default:
                throw std::runtime_error("SLRT policy entity type " +
                                         slrt::entity_type_name(e.entity_type) +
                                         " is not one the Linux DLME measures");
        }
    }
    m.log_only(kStage, 17, evtype::kSlaunchEnd, {}, zero_digests(m.log_banks()));
}

}  // namespace drtm::launch
