// Intel TXT Authenticated Code Module header (TXT SDG Appendix A.1; tboot
// include/txt/acmod.h) and the ACM information table that follows the
// scratch area.
//
// What the CPU hashes as "the SINIT hash" (EVTYPE_HASH_START data = SINIT hash
// ‖ EDX): the bytes covered by the module signature, i.e. the whole module
// except the public key, exponent, signature and scratch fields. MLE
// Developer's Guide §A.1.2 lists those four as excluded; independent PCR-17
// calculators (Philip Tricca's txt tooling, 2013) hash exactly
// ACM[0 : 0x80] ‖ ACM[4 × (header_len + scratch_size) : 4 × size]. No public
// source states the CPU's input byte for byte, so this is the documented
// signature input, not an observation of silicon; a real SINIT's log entry can
// confirm it (sinit_hash() must then equal the digest's first part).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"

namespace drtm::image {

inline constexpr std::uint16_t kAcmTypeChipset = 2;
inline constexpr std::uint32_t kAcmVendorIntel = 0x8086;
inline constexpr std::uint16_t kAcmSubtypeTxt = 0;             // SINIT, BIOS ACM
inline constexpr std::uint16_t kAcmSubtypeExecuteAtReset = 1;  // S-ACM
inline constexpr std::uint16_t kAcmFlagPreProduction = 1u << 14;
inline constexpr std::uint16_t kAcmFlagDebugSigned = 1u << 15;
inline constexpr std::uint32_t kAcmHeaderVersion0 = 0x00000000;  // RSA-2048, 161-dword header
inline constexpr std::uint32_t kAcmHeaderVersion3 = 0x00030000;  // RSA-3072, 224-dword header
inline constexpr std::size_t kAcmFixedHeader = 0x80;             // module_type .. scratch_size
inline constexpr std::uint8_t kAcmChipsetTypeSinit = 0x01;  // info table chipset_acm_type bit 0
inline constexpr std::uint8_t kAcmChipsetTypeRevocation = 0x08;
// 7fc03aaa-46a7-18db-ac2e-698f8d417f5a as a little-endian uuid_t.
inline constexpr std::array<std::uint8_t, 16> kAcmInfoTableUuid = {
    0xaa, 0x3a, 0xc0, 0x7f, 0xa7, 0x46, 0xdb, 0x18, 0x2e, 0xac, 0x69, 0x8f, 0x8d, 0x41, 0x7f, 0x5a};

struct AcmHeader {
    std::uint16_t module_type = 0;
    std::uint16_t module_subtype = 0;
    std::uint32_t header_len = 0;  // dwords
    std::uint32_t header_version = 0;
    std::uint16_t chipset_id = 0;
    std::uint16_t flags = 0;
    std::uint32_t module_vendor = 0;
    std::uint32_t date = 0;  // BCD yyyymmdd
    std::uint32_t size = 0;  // dwords
    std::uint16_t txt_svn = 0;
    std::uint16_t se_svn = 0;
    std::uint32_t code_control = 0;
    std::uint32_t error_entry_point = 0;
    std::uint32_t gdt_limit = 0;
    std::uint32_t gdt_base = 0;
    std::uint32_t seg_sel = 0;
    std::uint32_t entry_point = 0;
    std::array<std::uint8_t, 64> reserved2{};
    std::uint32_t key_size = 0;      // dwords
    std::uint32_t scratch_size = 0;  // dwords
};

struct AcmInfoTable {
    std::size_t offset = 0;
    std::uint8_t chipset_acm_type = 0;
    std::uint8_t version = 0;
    std::uint16_t length = 0;
    std::uint32_t chipset_id_list = 0;
    std::uint32_t os_sinit_data_ver = 0;
    std::uint32_t min_mle_hdr_ver = 0;
    std::uint32_t capabilities = 0;
    std::uint8_t acm_ver = 0;
    std::optional<std::uint32_t> processor_id_list;  // when length covers it
    std::optional<std::uint32_t> tpm_info_list;
};

struct Acm {
    AcmHeader header;
    std::size_t module_size = 0;     // 4 × size
    std::size_t trailing_bytes = 0;  // file bytes after the module
    // Key and signature placement; sizes 0 for header versions other than 0.0 and 3.0.
    std::size_t public_key_offset = kAcmFixedHeader;
    std::size_t public_key_size = 0;
    std::optional<std::uint32_t> public_exponent;  // version 0.0 only
    std::size_t signature_offset = 0;
    std::size_t signature_size = 0;
    std::size_t scratch_offset = 0;    // 4 × header_len
    std::size_t scratch_length = 0;    // 4 × scratch_size
    std::size_t user_area_offset = 0;  // 4 × (header_len + scratch_size)
    AcmInfoTable info_table;

    bool debug_signed() const { return header.flags & kAcmFlagDebugSigned; }
    bool pre_production() const { return header.flags & kAcmFlagPreProduction; }
    bool is_sinit() const {
        return header.module_subtype == kAcmSubtypeTxt &&
               (info_table.chipset_acm_type & kAcmChipsetTypeSinit);
    }
};

// Validates module_type 2, vendor 0x8086, size (a multiple of 64 bytes, within
// the file), header_len and key_size consistent with header versions 0.0/3.0,
// header + scratch + info table inside the module, the info table UUID, and
// entry_point inside the module; with `require_sinit` also a SINIT info table
// type and subtype 0. Throws binary::ParseError.
Acm parse_acm(binary::ByteView file, bool require_sinit = true);

// ACM[0 : 0x80] ‖ ACM[user_area_offset : module_size]: the signed bytes.
binary::Bytes sinit_hashed_bytes(binary::ByteView file, const Acm& acm);
binary::Bytes sinit_hash(crypto::HashAlg alg, binary::ByteView file, const Acm& acm);

}  // namespace drtm::image
