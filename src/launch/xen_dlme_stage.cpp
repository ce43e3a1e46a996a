#include "launch/xen_dlme_stage.hpp"

#include <stdexcept>

#include "binary/error.hpp"
#include "launch/event_types.hpp"
#include "launch/slrt_in_memory.hpp"
#include "slrt/constants.hpp"
#include "slrt/lookup.hpp"
#include "slrt/measured_slrt.hpp"

namespace drtm::launch {

namespace {
constexpr std::uint8_t kDlmeLocality = 2;
const std::string kStage = "Xen";

[[noreturn]] void panic(const std::string& why) {
    // Xen panics on these; the emulation refuses the launch the same way.
    throw std::runtime_error("Xen would panic: " + why);
}
}  // namespace

void run_xen_dlme_stage(Measurer& m, const PhysicalMemory& memory, std::uint64_t slrt_addr) {
    const slrt::Table table = read_slrt(memory, slrt_addr);
    const slrt::Policy* policy = slrt::find_policy(table);
    if (!policy) panic("the SLRT has no DRTM policy");
    const auto& entries = policy->entries;
    if (entries.size() < 2 ||
        entries[0].entity_type != static_cast<std::uint16_t>(slrt::EntityType::multiboot2_info) ||
        entries[0].pcr != 18 ||
        entries[1].entity_type != static_cast<std::uint16_t>(slrt::EntityType::slrt) ||
        entries[1].pcr != 18 || entries[1].entity != slrt_addr)
        panic("policy entries 0 and 1 must be the MB2 information and the SLRT, both at PCR 18");

    // 1. tpm_extend_mbi(): the whole MBI, size from its first u32, no label.
    const std::uint64_t mbi = entries[0].entity;
    const std::uint32_t mbi_size = memory.read_u32(mbi);
    m.measure(kStage, kDlmeLocality, 18, evtype::kSecureLaunch, {}, memory.read(mbi, mbi_size));

    // 2. tpm_measure_slrt(): INTEL_INFO as-is on Intel; nothing on AMD.
    if (table.architecture == slrt::Architecture::intel_txt) {
        auto bytes = slrt::measured_slrt_bytes(table, slrt::SlrtMeasurement::as_is);
        if (!bytes) panic("Intel SLRT without INTEL_INFO");
        m.measure(kStage, kDlmeLocality, 18, evtype::kSecureLaunch, {}, *bytes);
    }

    // 3. tpm_process_drtm_policy(): every entry from index 2, with its label.
    for (std::size_t i = 2; i < entries.size(); ++i) {
        const auto& e = entries[i];
        if (e.unused()) continue;
        if (e.flags & slrt::kPolicyFlagMeasured)
            panic("policy entry " + std::to_string(i) + " is already measured");
        if (e.flags & slrt::kPolicyFlagImplicitSize)
            panic("policy entry " + std::to_string(i) + " has IMPLICIT_SIZE");
        if (e.entity_type == static_cast<std::uint16_t>(slrt::EntityType::multiboot2_info) ||
            e.entity_type == static_cast<std::uint16_t>(slrt::EntityType::slrt))
            panic("policy entry " + std::to_string(i) + " duplicates the MBI or SLRT entry");
        m.measure(kStage, kDlmeLocality, e.pcr, evtype::kSecureLaunch, binary::as_bytes(e.label()),
                  memory.read(e.entity, e.size));
    }
}

}  // namespace drtm::launch
