#include "host/txt_register_decode.hpp"

#include <cstdio>

namespace drtm::host {

namespace {

std::string hex(std::uint64_t v, int digits = 0) {
    return binary::hex_padded(v, digits);
}

std::string bit(std::uint64_t v, unsigned n) {
    return (v >> n & 1) ? "1" : "0";
}

// Processor-detected launch errors (ERRORCODE.external = 0).
const char* processor_error_name(std::uint32_t type) {
    switch (type) {
        case 0:
            return "LEGACY_SHUTDOWN";
        case 5:
            return "INVALID_ACM_MEM_TYPE";
        case 6:
            return "UNSUPPORTED_ACM";
        case 7:
            return "AUTH_FAIL";
        case 8:
            return "INVALID_ACM_FORMAT";
        case 9:
            return "UNEXPECTED_HITM";
        case 10:
            return "INVALID_EVENT";
        case 11:
            return "INVALID_JOIN_FORMAT";
        case 12:
            return "UNRECOVERABLE_MCE";
        case 13:
            return "VMX_ABORT";
        case 14:
            return "ACM_CORRUPT";
        case 15:
            return "INVALID_VIDB_RATIO";
        default:
            return nullptr;
    }
}

// The codes TrenchBoot's Secure Launch writes to ERRORCODE before it resets
// the platform (SLAUNCH_ERROR_* in Xen's intel_txt.h), from 0xc0008001.
const char* secure_launch_error_name(std::uint32_t code) {
    static constexpr const char* names[] = {"GENERIC",
                                            "TPM_INIT",
                                            "TPM_INVALID_LOG20",
                                            "TPM_LOGGING_FAILED",
                                            "REGION_STRADDLE_4GB",
                                            "TPM_EXTEND",
                                            "MTRR_INV_VCNT",
                                            "MTRR_INV_DEF_TYPE",
                                            "MTRR_INV_BASE",
                                            "MTRR_INV_MASK",
                                            "MSR_INV_MISC_EN",
                                            "INV_AP_INTERRUPT",
                                            "INTEGER_OVERFLOW",
                                            "HEAP_WALK",
                                            "HEAP_MAP",
                                            "REGION_ABOVE_4GB",
                                            "HEAP_INVALID_DMAR",
                                            "HEAP_DMAR_SIZE",
                                            "HEAP_DMAR_MAP",
                                            "HI_PMR_BASE",
                                            "HI_PMR_SIZE",
                                            "LO_PMR_BASE",
                                            "LO_PMR_SIZE",
                                            "LO_PMR_MLE",
                                            "INITRD_TOO_BIG",
                                            "HEAP_ZERO_OFFSET",
                                            "WAKE_BLOCK_TOO_SMALL",
                                            "MLE_BUFFER_OVERLAP",
                                            "BUFFER_BEYOND_PMR",
                                            "OS_SINIT_BAD_VERSION",
                                            "EVENTLOG_MAP",
                                            "TPM_NUMBER_ALGS",
                                            "TPM_UNKNOWN_DIGEST",
                                            "TPM_INVALID_EVENT"};
    constexpr std::uint32_t first = 0xc0008001;
    if (code < first || code - first >= std::size(names)) return nullptr;
    return names[code - first];
}

const char* acm_type_name(std::uint32_t type) {
    switch (type) {
        case 0:
            return "BIOS ACM";
        case 1:
            return "SINIT ACM";
        case 9:
            return "revocation ACM";
        default:
            return nullptr;
    }
}

}  // namespace

bool senter_done(std::uint64_t sts) {
    return sts & 1;
}

std::string describe_errorcode(std::uint32_t e) {
    if (e == 0) return "no error";
    const bool valid = e >> 31 & 1, external = e >> 30 & 1;
    if (!valid) return "no valid error recorded (" + hex(e, 8) + ")";
    if (!external) {
        const std::uint32_t type = e & 0x3fffffff;
        const char* name = processor_error_name(type);
        return "processor error " + std::to_string(type) +
               (name ? " (" + std::string(name) + ")" : "");
    }
    if (e >> 15 & 1) {  // software other than an ACM
        if (const char* name = secure_launch_error_name(e))
            return "Secure Launch error " + hex(e, 8) + " (" + name + ")";
        return "software error " + hex(e & 0x7fff) + ":" + hex(e >> 16 & 0x3fff);
    }
    const std::uint32_t acm = e & 0xf, progress = e >> 4 & 0x3f, error = e >> 10 & 0x1f;
    const char* acm_name = acm_type_name(acm);
    std::string who = acm_name ? acm_name : "ACM type " + std::to_string(acm);
    if (progress == 0 && error == 0) return who + ": success";
    std::string s = who + " error: progress " + hex(progress, 2) + ", error " + hex(error, 2);
    if (progress == 0x0d && error == 0x0a)
        s += ", TPM error code " + hex(e >> 16 & 0x1ff);
    else if (progress == 0x10 && (e >> 16 & 0x3f) != 0)
        s += ", LCP2 minor error " + hex(e >> 16 & 0x3f) + ", index " +
             std::to_string(e >> 22 & 0x7);
    return s;
}

std::vector<DecodedRegister> decode_txt_registers(const TxtRegisters& regs) {
    std::vector<DecodedRegister> out;
    for (const TxtRegister& r : regs.registers) {
        DecodedRegister d{r, {}, ""};
        const std::uint64_t v = r.value;
        switch (r.offset) {
            case txt_register::sts:
                d.fields = {{"SENTER.DONE.STS", bit(v, 0)},     {"SEXIT.DONE.STS", bit(v, 1)},
                            {"MEM-CONFIG-LOCK.STS", bit(v, 6)}, {"PRIVATE-OPEN.STS", bit(v, 7)},
                            {"LOCALITY1.OPEN.STS", bit(v, 15)}, {"LOCALITY2.OPEN.STS", bit(v, 16)}};
                d.meaning = senter_done(v) ? "a measured launch (SENTER) has completed"
                                           : "no measured launch is in effect";
                break;
            case txt_register::ests:
                d.fields = {{"TXT_RESET.STS", bit(v, 0)}};
                if (v & 1)
                    d.meaning =
                        "TXT_RESET.STS is set: a launch failed; SENTER stays disabled until a "
                        "power cycle";
                break;
            case txt_register::errorcode:
                d.fields = {{"valid", bit(v, 31)}, {"external", bit(v, 30)}};
                d.meaning = describe_errorcode(static_cast<std::uint32_t>(v));
                break;
            case txt_register::didvid:
                d.fields = {{"vendor_id", hex(v & 0xffff, 4)},
                            {"device_id", hex(v >> 16 & 0xffff, 4)},
                            {"revision_id", hex(v >> 32 & 0xffff, 4)},
                            {"extended_id", hex(v >> 48 & 0xffff, 4)}};
                break;
            case txt_register::ver_emif:
                d.fields = {{"production_fused", bit(v, 31)}};
                d.meaning = (v >> 31 & 1) ? "production-fused chipset (runs production-signed ACMs)"
                                          : "debug-fused chipset (runs debug-signed ACMs only)";
                break;
            case txt_register::e2sts:
                d.fields = {{"SECRETS.STS", bit(v, 1)}};
                if (v >> 1 & 1)
                    d.meaning = "secrets may be in memory: a reset scrubs memory before reuse";
                break;
            default:
                break;  // ACM_POLICY_STATUS: no public decoding; shown raw
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace drtm::host
