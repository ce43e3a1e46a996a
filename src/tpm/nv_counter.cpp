// NV counters: the monotonic state behind rollback protection of signed
// sealing authorisations (TPM2_PolicyNV against a counter).
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "binary/bytes.hpp"
#include "tpm/tpm.hpp"
#include "tpm/tpm_impl.hpp"

namespace drtm::tpm {

namespace {
constexpr TPMA_NV kCounterType = TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT;

void require_nv_handle(std::uint32_t index) {
    if ((index >> 24) != TPM2_HT_NV_INDEX)
        throw std::invalid_argument(binary::hex32(index) +
                                    " is not an NV index handle (0x01xxxxxx)");
}

// RAII for ESYS_TRs of NV indices (closed, not flushed: they are persistent).
struct NvHandle {
    ESYS_CONTEXT* esys;
    ESYS_TR tr = ESYS_TR_NONE;
    ~NvHandle() {
        if (tr != ESYS_TR_NONE) Esys_TR_Close(esys, &tr);
    }
};
}  // namespace

std::optional<NvCounter> Tpm::nv_counter(std::uint32_t index) {
    require_nv_handle(index);
    ESYS_CONTEXT* esys = impl_->esys;
    NvHandle nv{esys};
    TSS2_RC rc =
        Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv.tr);
    if ((rc & TPM2_RC_FMT1) && (rc & 0x3F) == (TPM2_RC_HANDLE & 0x3F)) {  // TPM_RC_HANDLE
        nv.tr = ESYS_TR_NONE;
        return std::nullopt;  // not defined
    }
    check_rc(rc, ("NV index " + binary::hex32(index)).c_str());
    TPM2B_NV_PUBLIC* pub = nullptr;
    TPM2B_NAME* name = nullptr;
    check_rc(Esys_NV_ReadPublic(esys, nv.tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name),
             "TPM2_NV_ReadPublic");
    NvCounter c;
    c.index = index;
    c.name.assign(name->name, name->name + name->size);
    TPMA_NV attributes = pub->nvPublic.attributes;
    Esys_Free(pub);
    Esys_Free(name);
    if ((attributes & TPMA_NV_TPM2_NT_MASK) != kCounterType)
        throw TpmError("NV index " + binary::hex32(index) + " is defined but is not a counter", 0);
    if (attributes & TPMA_NV_WRITTEN) {
        TPM2B_MAX_NV_BUFFER* data = nullptr;
        check_rc(Esys_NV_Read(esys, nv.tr, nv.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, 8,
                              0, &data),
                 "TPM2_NV_Read(counter)");
        std::uint64_t v = 0;
        for (int i = 0; i < data->size && i < 8; ++i) v = (v << 8) | data->buffer[i];
        Esys_Free(data);
        c.value = v;
    }
    return c;
}

NvCounter Tpm::define_counter(std::uint32_t index) {
    require_nv_handle(index);
    ESYS_CONTEXT* esys = impl_->esys;
    TPM2B_AUTH empty{};
    TPM2B_NV_PUBLIC pub{};
    pub.nvPublic.nvIndex = index;
    pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
    pub.nvPublic.attributes = kCounterType | TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA;
    pub.nvPublic.dataSize = 8;
    NvHandle nv{esys};
    check_rc(Esys_NV_DefineSpace(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                 ESYS_TR_NONE, &empty, &pub, &nv.tr),
             ("TPM2_NV_DefineSpace(" + binary::hex32(index) + ")").c_str());
    check_rc(Esys_NV_Increment(esys, nv.tr, nv.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE),
             "TPM2_NV_Increment");
    return *nv_counter(index);
}

std::uint64_t Tpm::increment_counter(std::uint32_t index) {
    ESYS_CONTEXT* esys = impl_->esys;
    NvHandle nv{esys};
    check_rc(Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv.tr),
             ("NV index " + binary::hex32(index)).c_str());
    check_rc(Esys_NV_Increment(esys, nv.tr, nv.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE),
             "TPM2_NV_Increment");
    auto c = nv_counter(index);
    return c && c->value ? *c->value : 0;
}

void Tpm::undefine_nv(std::uint32_t index) {
    ESYS_CONTEXT* esys = impl_->esys;
    NvHandle nv{esys};
    check_rc(Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv.tr),
             ("NV index " + binary::hex32(index)).c_str());
    check_rc(Esys_NV_UndefineSpace(esys, ESYS_TR_RH_OWNER, nv.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                   ESYS_TR_NONE),
             "TPM2_NV_UndefineSpace");
    nv.tr = ESYS_TR_NONE;  // the ESYS_TR is gone with the index
}

std::optional<std::uint32_t> Tpm::free_nv_index(std::uint32_t first, std::uint32_t last) {
    require_nv_handle(first);
    require_nv_handle(last);
    std::vector<std::uint32_t> used;
    TPMI_YES_NO more = TPM2_YES;
    std::uint32_t next = first;
    while (more == TPM2_YES && next <= last) {
        TPMS_CAPABILITY_DATA* caps = nullptr;
        check_rc(Esys_GetCapability(impl_->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                    TPM2_CAP_HANDLES, next, TPM2_MAX_CAP_HANDLES, &more, &caps),
                 "TPM2_GetCapability(NV indices)");
        const auto& h = caps->data.handles;
        for (UINT32 i = 0; i < h.count; ++i) used.push_back(h.handle[i]);
        std::uint32_t last_seen = h.count ? h.handle[h.count - 1] : last;
        Esys_Free(caps);
        if (last_seen >= last) break;
        next = last_seen + 1;
    }
    for (std::uint32_t i = first; i <= last; ++i)
        if (std::find(used.begin(), used.end(), i) == used.end()) return i;
    return std::nullopt;
}

}  // namespace drtm::tpm
