// The bytes hashed for the "Measured SLR Table" event (reference/measurements.md
// §4 row 0): only the architecture info entry, whole, 8-byte header included.
#pragma once

#include <optional>

#include "binary/bytes.hpp"
#include "slrt/table.hpp"

namespace drtm::slrt {

enum class SlrtMeasurement {
    // What each layout's kernel does:
    //  - INTEL_INFO variant A (2025 kernel): boot_params_addr and txt_heap zeroed;
    //  - INTEL_INFO variant B (spec v0.6, v11, Xen): as-is;
    //  - AMD_INFO setup_data form: next, slrt_base and boot_params_base zeroed;
    //  - AMD_INFO header-only form: the 8-byte header as-is.
    by_layout,
    // The entry exactly as it is in the table (v11 and Xen never zero fields).
    as_is,
};

Bytes measured_bytes(const IntelInfo& info, SlrtMeasurement rule = SlrtMeasurement::by_layout);
Bytes measured_bytes(const AmdInfo& info, SlrtMeasurement rule = SlrtMeasurement::by_layout);

// The architecture info entry matching table.architecture, encoded per `rule`;
// nullopt when the table has none (then the measurer has nothing to hash).
std::optional<Bytes> measured_slrt_bytes(const Table& table,
                                         SlrtMeasurement rule = SlrtMeasurement::by_layout);

}  // namespace drtm::slrt
