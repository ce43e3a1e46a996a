// Internals of Tpm shared by its source files (not part of the module's API).
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <cstdint>
#include <vector>

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

// Starts an unsalted SHA-256 policy session whose continueSession is
// cleared, so the TPM frees it with the first command it authorises (a TPM
// without a resource manager, like swtpm, holds only three sessions).
void start_policy_session(ESYS_CONTEXT* esys, FlushOnExit& session, const char* what);

// Marks `pcrs` (0-23) in one bank's selection; throws on a higher index.
void select_pcrs(TPMS_PCR_SELECTION& sel, HashAlg bank, const std::vector<std::uint32_t>& pcrs);

// Throws TpmError "<what> failed: 0x... (decoded)" unless rc is success.
void check_rc(std::uint32_t rc, const char* what);

}  // namespace drtm::tpm
