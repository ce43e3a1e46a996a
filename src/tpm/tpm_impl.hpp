// Internals of Tpm shared by its source files (not part of the module's API).
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <cstdint>

#include "tpm/tpm.hpp"

namespace drtm::tpm {

struct Tpm::Impl {
    TSS2_TCTI_CONTEXT* tcti = nullptr;
    ESYS_CONTEXT* esys = nullptr;
    ~Impl() {
        if (esys) Esys_Finalize(&esys);
        if (tcti) Tss2_TctiLdr_Finalize(&tcti);
    }
};

// RAII for transient ESYS handles (objects, sessions).
struct FlushOnExit {
    ESYS_CONTEXT* esys;
    ESYS_TR tr = ESYS_TR_NONE;
    ~FlushOnExit() {
        if (tr != ESYS_TR_NONE) Esys_FlushContext(esys, tr);
    }
};

// Throws TpmError "<what> failed: 0x... (decoded)" unless rc is success.
void check_rc(std::uint32_t rc, const char* what);

}  // namespace drtm::tpm
