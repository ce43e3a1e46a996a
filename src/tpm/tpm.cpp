#include "tpm/tpm.hpp"

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tcti.h>
#include <tss2/tss2_tctildr.h>

#include "tpm/tpm_impl.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace drtm::tpm {

namespace {
std::string decode(TSS2_RC rc) {
    const char* text = Tss2_RC_Decode(rc);
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", rc);
    return std::string(hex) + " (" + (text ? text : "unknown") + ")";
}

void check(TSS2_RC rc, const char* what) {
    check_rc(rc, what);
}

std::string four_chars(std::uint32_t v) {
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8) {
        char c = static_cast<char>((v >> shift) & 0xFF);
        if (c != 0 && c != ' ') s += c;
    }
    return s;
}
}  // namespace

TpmError::TpmError(const std::string& what, std::uint32_t rc) : std::runtime_error(what), rc_(rc) {}

void check_rc(std::uint32_t rc, const char* what) {
    if (rc != TSS2_RC_SUCCESS) throw TpmError(std::string(what) + " failed: " + decode(rc), rc);
}

Tpm::Tpm(const std::string& tcti, int lock_timeout_ms)
    : spec_(parse_tcti(tcti)), impl_(std::make_unique<Impl>()) {
    if (auto path = spec_.lock_path()) lock_ = PlatformLock(*path, lock_timeout_ms);
    // tpm2-tss prints every TPM error code to stderr; drtm reports errors
    // itself (and some, like TPM_RC_INITIALIZE, are expected). A user who
    // wants the library's trace can still set TSS2_LOG.
    ::setenv("TSS2_LOG", "all+NONE", 0);
    TSS2_RC rc = Tss2_TctiLdr_Initialize(spec_.full.c_str(), &impl_->tcti);
    if (rc != TSS2_RC_SUCCESS)
        throw TpmError("cannot open TPM through TCTI '" + spec_.full + "': " + decode(rc), rc);
    check(Esys_Initialize(&impl_->esys, impl_->tcti, nullptr), "Esys_Initialize");
    // The emulated platform's swtpm has no resource manager: a drtm process
    // killed mid-conversation leaves its transient objects and sessions
    // loaded, and after three of them every command fails for lack of
    // memory. Holding the platform lock, we are the TPM's only user, so what
    // is loaded now belongs to nobody.
    if (lock_.held()) flush_orphans();
}

void start_policy_session(ESYS_CONTEXT* esys, FlushOnExit& session, const char* what) {
    TPMT_SYM_DEF symmetric{};
    symmetric.algorithm = TPM2_ALG_NULL;
    check_rc(Esys_StartAuthSession(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                   ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &symmetric,
                                   TPM2_ALG_SHA256, &session.tr),
             what);
    // ESAPI starts sessions with continueSession set.
    check_rc(Esys_TRSess_SetAttributes(esys, session.tr, 0, TPMA_SESSION_CONTINUESESSION),
             "session attributes");
}

void select_pcrs(TPMS_PCR_SELECTION& sel, HashAlg bank, const std::vector<std::uint32_t>& pcrs) {
    sel.hash = crypto::alg_id(bank);
    sel.sizeofSelect = 3;
    for (auto p : pcrs) {
        if (p > 23) throw std::invalid_argument("PCR index " + std::to_string(p) + " > 23");
        sel.pcrSelect[p / 8] |= static_cast<std::uint8_t>(1u << (p % 8));
    }
}

void Tpm::flush_orphans() {
    for (std::uint32_t first : {TPM2_TRANSIENT_FIRST, std::uint32_t(TPM2_LOADED_SESSION_FIRST),
                                std::uint32_t(TPM2_ACTIVE_SESSION_FIRST)}) {
        TPMS_CAPABILITY_DATA* caps = nullptr;
        TPMI_YES_NO more = TPM2_NO;
        check(Esys_GetCapability(impl_->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                 TPM2_CAP_HANDLES, first, TPM2_MAX_CAP_HANDLES, &more, &caps),
              "TPM2_GetCapability(HANDLES)");
        std::vector<std::uint32_t> handles;
        // Loaded policy sessions are listed under the HMAC-session range
        // with their own 0x03 handles; the listing may run past the range.
        for (UINT32 i = 0; i < caps->data.handles.count; ++i) {
            auto type = caps->data.handles.handle[i] >> 24;
            if (type == TPM2_HT_TRANSIENT || type == TPM2_HT_HMAC_SESSION ||
                type == TPM2_HT_POLICY_SESSION)
                handles.push_back(caps->data.handles.handle[i]);
        }
        Esys_Free(caps);
        // TPM2_FlushContext sent raw: ESYS has no ESYS_TR for handles it did
        // not create, and needs none for this command.
        for (auto h : handles) {
            std::uint8_t cmd[14] = {0x80,
                                    0x01,
                                    0,
                                    0,
                                    0,
                                    14,
                                    0,
                                    0,
                                    0x01,
                                    0x65,
                                    std::uint8_t(h >> 24),
                                    std::uint8_t(h >> 16),
                                    std::uint8_t(h >> 8),
                                    std::uint8_t(h)};
            std::uint8_t resp[64];
            size_t resp_len = sizeof resp;
            if (Tss2_Tcti_Transmit(impl_->tcti, sizeof cmd, cmd) == TSS2_RC_SUCCESS)
                Tss2_Tcti_Receive(impl_->tcti, &resp_len, resp, TSS2_TCTI_TIMEOUT_BLOCK);
        }
    }
}

Tpm::~Tpm() = default;

std::vector<HashAlg> Tpm::allocated_banks() {
    TPMS_CAPABILITY_DATA* caps = nullptr;
    TPMI_YES_NO more = TPM2_NO;
    check(Esys_GetCapability(impl_->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS,
                             0, 1, &more, &caps),
          "TPM2_GetCapability(PCRS)");
    std::vector<HashAlg> banks;
    const auto& sel = caps->data.assignedPCR;
    for (std::uint32_t i = 0; i < sel.count; ++i) {
        const auto& s = sel.pcrSelections[i];
        bool any = std::any_of(s.pcrSelect, s.pcrSelect + s.sizeofSelect,
                               [](std::uint8_t b) { return b != 0; });
        auto alg = crypto::alg_from_id(s.hash);
        if (any && alg) banks.push_back(*alg);
    }
    Esys_Free(caps);
    std::sort(banks.begin(), banks.end());
    return banks;
}

PcrBanks Tpm::read_pcrs(const std::vector<HashAlg>& banks, const std::vector<std::uint32_t>& pcrs) {
    PcrBanks out;
    for (HashAlg bank : banks) {
        // TPM2_PCR_Read returns at most 8 digests per call, and may return
        // fewer; ask again for whatever is still missing.
        std::vector<std::uint32_t> todo = pcrs;
        while (!todo.empty()) {
            TPML_PCR_SELECTION sel{};
            sel.count = 1;
            select_pcrs(sel.pcrSelections[0], bank, todo);
            UINT32 counter = 0;
            TPML_PCR_SELECTION* got_sel = nullptr;
            TPML_DIGEST* values = nullptr;
            check(Esys_PCR_Read(impl_->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel,
                                &counter, &got_sel, &values),
                  "TPM2_PCR_Read");
            std::vector<std::uint32_t> returned;
            if (got_sel->count > 0) {
                const auto& s = got_sel->pcrSelections[0];
                for (std::uint32_t p = 0; p < 8u * s.sizeofSelect; ++p)
                    if (s.pcrSelect[p / 8] & (1u << (p % 8))) returned.push_back(p);
            }
            for (std::size_t i = 0; i < returned.size() && i < values->count; ++i)
                out[bank][returned[i]] = Bytes(values->digests[i].buffer,
                                               values->digests[i].buffer + values->digests[i].size);
            Esys_Free(got_sel);
            Esys_Free(values);
            if (returned.empty())
                throw TpmError("TPM returned no PCR values for bank " +
                                   std::string(crypto::alg_name(bank)) + " (bank not allocated?)",
                               0);
            std::erase_if(todo, [&](std::uint32_t p) {
                return std::find(returned.begin(), returned.end(), p) != returned.end();
            });
        }
    }
    return out;
}

void Tpm::set_locality(std::uint8_t locality) {
    TSS2_TCTI_CONTEXT* tcti = nullptr;
    check(Esys_GetTcti(impl_->esys, &tcti), "Esys_GetTcti");
    TSS2_RC rc = Tss2_Tcti_SetLocality(tcti, locality);
    if (rc != TSS2_RC_SUCCESS)
        throw TpmError(
            "cannot switch to locality " + std::to_string(locality) + " through TCTI '" +
                spec_.full + "': " + decode(rc) +
                (spec_.name == "device" ? " (the kernel's device TCTI cannot change locality)"
                                        : ""),
            rc);
    locality_ = locality;
}

void Tpm::extend(std::uint32_t pcr, const std::vector<std::pair<HashAlg, Bytes>>& digests) {
    if (pcr > 23) throw std::invalid_argument("PCR index " + std::to_string(pcr) + " > 23");
    TPML_DIGEST_VALUES values{};
    if (digests.size() > TPM2_NUM_PCR_BANKS) throw std::invalid_argument("too many banks");
    for (const auto& [alg, digest] : digests) {
        if (digest.size() != crypto::digest_size(alg))
            throw std::invalid_argument("digest size does not match its bank");
        auto& v = values.digests[values.count++];
        v.hashAlg = crypto::alg_id(alg);
        std::memcpy(&v.digest, digest.data(), digest.size());
    }
    check(Esys_PCR_Extend(impl_->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                          ESYS_TR_NONE, &values),
          ("TPM2_PCR_Extend(PCR " + std::to_string(pcr) + ", locality " +
           std::to_string(locality_) + ")")
              .c_str());
}

bool Tpm::startup_clear() {
    TSS2_RC rc = Esys_Startup(impl_->esys, TPM2_SU_CLEAR);
    if ((rc & 0xFFF) == TPM2_RC_INITIALIZE) return false;
    check(rc, "TPM2_Startup(CLEAR)");
    return true;
}

TpmInfo Tpm::info() {
    TpmInfo info;
    TPMS_CAPABILITY_DATA* caps = nullptr;
    TPMI_YES_NO more = TPM2_NO;
    check(Esys_GetCapability(impl_->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                             TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 32, &more, &caps),
          "TPM2_GetCapability(TPM_PROPERTIES)");
    std::uint32_t fw1 = 0, fw2 = 0;
    for (std::uint32_t i = 0; i < caps->data.tpmProperties.count; ++i) {
        const auto& p = caps->data.tpmProperties.tpmProperty[i];
        switch (p.property) {
            case TPM2_PT_MANUFACTURER:
                info.manufacturer = four_chars(p.value);
                break;
            case TPM2_PT_VENDOR_STRING_1:
            case TPM2_PT_VENDOR_STRING_2:
            case TPM2_PT_VENDOR_STRING_3:
            case TPM2_PT_VENDOR_STRING_4:
                info.vendor_string += four_chars(p.value);
                break;
            case TPM2_PT_FIRMWARE_VERSION_1:
                fw1 = p.value;
                break;
            case TPM2_PT_FIRMWARE_VERSION_2:
                fw2 = p.value;
                break;
            default:
                break;
        }
    }
    Esys_Free(caps);
    info.firmware_version = static_cast<std::uint64_t>(fw1) << 32 | fw2;
    TPMS_TIME_INFO* time = nullptr;
    check(Esys_ReadClock(impl_->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &time),
          "TPM2_ReadClock");
    info.restart_count = time->clockInfo.restartCount;
    info.reset_count = time->clockInfo.resetCount;
    Esys_Free(time);
    info.banks = allocated_banks();
    return info;
}

}  // namespace drtm::tpm
