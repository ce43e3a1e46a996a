#include "slrt/measured_slrt.hpp"

#include "slrt/entry_codec.hpp"
#include "slrt/lookup.hpp"

namespace drtm::slrt {

Bytes measured_bytes(const IntelInfo& info, SlrtMeasurement rule) {
    IntelInfo copy = info;
    // Only the 2025 kernel (variant A) zeroes the two run-time addresses, so the
    // digest does not depend on where the loader put the zero page and heap.
    if (rule == SlrtMeasurement::by_layout && copy.layout == IntelInfoLayout::with_boot_params) {
        copy.boot_params_addr = 0;
        copy.txt_heap = 0;
    }
    return encode_entry(copy);
}

Bytes measured_bytes(const AmdInfo& info, SlrtMeasurement rule) {
    AmdInfo copy = info;
    if (rule == SlrtMeasurement::by_layout && copy.layout == AmdInfoLayout::setup_data) {
        copy.next = 0;
        copy.slrt_base = 0;
        copy.boot_params_base = 0;
    }
    return encode_entry(copy);
}

std::optional<Bytes> measured_slrt_bytes(const Table& table, SlrtMeasurement rule) {
    if (table.architecture == Architecture::intel_txt) {
        if (const IntelInfo* info = find_intel_info(table)) return measured_bytes(*info, rule);
        return std::nullopt;
    }
    if (const AmdInfo* info = find_amd_info(table)) return measured_bytes(*info, rule);
    return std::nullopt;
}

}  // namespace drtm::slrt
