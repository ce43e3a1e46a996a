// The AMD DCE: what the Secure Kernel Loader (SKL) measures after SKINIT
// (reference/measurements.md §2): it logs the SKINIT measurement the CPU
// already extended, then at locality 2 extends PCR 17 with the DLME entry
// offset and the DLME image, in SHA-1 and SHA-256 only.
#pragma once

#include <cstdint>

#include "binary/bytes.hpp"
#include "launch/measurer.hpp"

namespace drtm::launch {

struct SklInputs {
    binary::ByteView slb_measured;  // SLB[0 : measured length], what SKINIT hashed
    std::uint64_t dlme_entry = 0;   // SLRT dl_info.dlme_entry
    binary::ByteView dlme;          // dlme_base .. dlme_base + dlme_size
};

void run_skl_stage(Measurer& m, const SklInputs& in);

}  // namespace drtm::launch
