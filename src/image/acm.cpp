#include "image/acm.hpp"
#include "binary/bytes.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "crypto/digest.hpp"

namespace drtm::image {

namespace {

constexpr std::size_t kInfoTableBase = 40;  // through acm_ver + reserved[3]

std::string hex(std::uint64_t v) {
    return binary::hex_number(v);
}

AcmHeader read_header(binary::Reader& r) {
    AcmHeader h;
    h.module_type = r.u16le();
    h.module_subtype = r.u16le();
    h.header_len = r.u32le();
    h.header_version = r.u32le();
    h.chipset_id = r.u16le();
    h.flags = r.u16le();
    h.module_vendor = r.u32le();
    h.date = r.u32le();
    h.size = r.u32le();
    h.txt_svn = r.u16le();
    h.se_svn = r.u16le();
    h.code_control = r.u32le();
    h.error_entry_point = r.u32le();
    h.gdt_limit = r.u32le();
    h.gdt_base = r.u32le();
    h.seg_sel = r.u32le();
    h.entry_point = r.u32le();
    binary::ByteView reserved = r.bytes(64, "reserved2");
    std::copy(reserved.begin(), reserved.end(), h.reserved2.begin());
    h.key_size = r.u32le();
    h.scratch_size = r.u32le();
    return h;
}

// Key, exponent and signature placement of the two header versions in use.
void locate_key_and_signature(binary::Reader& r, Acm& acm) {
    const AcmHeader& h = acm.header;
    struct Known {
        std::uint32_t version, header_len, key_size, sig_size;
        bool exponent;
    };
    static constexpr Known kKnown[] = {
        {kAcmHeaderVersion0, 161, 64, 256, true},
        {kAcmHeaderVersion3, 224, 96, 384, false},
    };
    for (const Known& k : kKnown) {
        if (h.header_version != k.version) continue;
        if (h.header_len != k.header_len)
            r.fail_at(4, "header_len " + std::to_string(h.header_len) + " dwords, version " +
                             hex(k.version) + " headers have " + std::to_string(k.header_len));
        if (h.key_size != k.key_size)
            r.fail_at(0x78, "key_size " + std::to_string(h.key_size) + " dwords, version " +
                                hex(k.version) + " headers have " + std::to_string(k.key_size));
        acm.public_key_size = std::size_t{k.key_size} * 4;
        std::size_t pos = kAcmFixedHeader + acm.public_key_size;
        if (k.exponent) {
            r.seek(pos);
            acm.public_exponent = r.u32le();
            pos += 4;
        }
        acm.signature_offset = pos;
        acm.signature_size = k.sig_size;
        return;
    }
    // Newer headers (4.0, 5.x with XMSS): key and signature layout not modelled.
}

AcmInfoTable read_info_table(binary::Reader& r, std::size_t offset, std::size_t module_size) {
    if (module_size - offset < kInfoTableBase)
        r.fail_at(offset, "no room for the ACM information table (40 bytes) at " + hex(offset));
    r.seek(offset);
    binary::ByteView uuid = r.bytes(16, "info table UUID");
    if (!std::equal(uuid.begin(), uuid.end(), kAcmInfoTableUuid.begin()))
        r.fail_at(offset, "no ACM information table at " + hex(offset) +
                              ": UUID is not 7fc03aaa-46a7-18db-ac2e-698f8d417f5a");
    AcmInfoTable t;
    t.offset = offset;
    t.chipset_acm_type = r.u8();
    t.version = r.u8();
    t.length = r.u16le();
    t.chipset_id_list = r.u32le();
    t.os_sinit_data_ver = r.u32le();
    t.min_mle_hdr_ver = r.u32le();
    t.capabilities = r.u32le();
    t.acm_ver = r.u8();
    r.skip(3, "info table reserved");
    if (t.length >= kInfoTableBase + 4 && module_size - offset >= kInfoTableBase + 4)
        t.processor_id_list = r.u32le();
    if (t.length >= kInfoTableBase + 8 && module_size - offset >= kInfoTableBase + 8)
        t.tpm_info_list = r.u32le();
    return t;
}

}  // namespace

Acm parse_acm(binary::ByteView file, bool require_sinit) {
    binary::Reader r(file);
    if (file.size() < kAcmFixedHeader)
        r.fail("truncated ACM: " + std::to_string(file.size()) +
               " bytes, the fixed header needs 128");
    Acm acm;
    acm.header = read_header(r);
    const AcmHeader& h = acm.header;
    if (h.module_type != kAcmTypeChipset)
        r.fail_at(0, "module_type " + std::to_string(h.module_type) +
                         ", expected 2 (chipset ACM): not an authenticated code module");
    if (h.module_vendor != kAcmVendorIntel)
        r.fail_at(0x10, "module_vendor " + hex(h.module_vendor) + ", expected 0x8086");

    std::uint64_t module_size = std::uint64_t{h.size} * 4;
    if (module_size > file.size())
        r.fail_at(0x18, "module size " + hex(module_size) +
                            " (size field × 4) is larger than the " + hex(file.size()) +
                            "-byte file");
    if (module_size % 64 != 0)
        r.fail_at(0x18, "module size " + hex(module_size) +
                            " is not a multiple of 64 (GETSEC refuses it)");
    acm.module_size = static_cast<std::size_t>(module_size);
    acm.trailing_bytes = file.size() - acm.module_size;

    std::uint64_t header_bytes = std::uint64_t{h.header_len} * 4;
    if (header_bytes < kAcmFixedHeader || header_bytes > module_size)
        r.fail_at(4, "header_len " + std::to_string(h.header_len) + " dwords (" +
                         hex(header_bytes) +
                         " bytes) does not fit between 0x80 and the module size");
    std::uint64_t user_area = (std::uint64_t{h.header_len} + h.scratch_size) * 4;
    if (user_area > module_size)
        r.fail_at(0x7C, "header plus scratch (" + hex(user_area) + " bytes) runs past the module");
    locate_key_and_signature(r, acm);
    if (acm.signature_offset + acm.signature_size > header_bytes)
        r.fail_at(4, "key and signature run past header_len");
    acm.scratch_offset = static_cast<std::size_t>(header_bytes);
    acm.scratch_length = std::size_t{h.scratch_size} * 4;
    acm.user_area_offset = static_cast<std::size_t>(user_area);

    if (h.entry_point >= module_size)
        r.fail_at(0x34, "entry_point " + hex(h.entry_point) + " is outside the module");

    acm.info_table = read_info_table(r, acm.user_area_offset, acm.module_size);
    if (require_sinit) {
        if (h.module_subtype != kAcmSubtypeTxt)
            r.fail_at(2, "module_subtype " + std::to_string(h.module_subtype) + ", a SINIT has 0");
        if (!(acm.info_table.chipset_acm_type & kAcmChipsetTypeSinit))
            r.fail_at(acm.user_area_offset + 16, "chipset_acm_type " +
                                                     hex(acm.info_table.chipset_acm_type) +
                                                     " marks a BIOS ACM, not a SINIT");
    }
    return acm;
}

binary::Bytes sinit_hashed_bytes(binary::ByteView file, const Acm& acm) {
    if (acm.module_size > file.size() || acm.user_area_offset > acm.module_size)
        throw binary::ParseError(0, "ACM does not match the file it was parsed from");
    binary::Writer w(kAcmFixedHeader + acm.module_size - acm.user_area_offset);
    w.bytes(file.first(kAcmFixedHeader));
    w.bytes(file.subspan(acm.user_area_offset, acm.module_size - acm.user_area_offset));
    return w.take();
}

binary::Bytes sinit_hash(crypto::HashAlg alg, binary::ByteView file, const Acm& acm) {
    return crypto::hash(alg, sinit_hashed_bytes(file, acm));
}

}  // namespace drtm::image
