#include "image/test_dce.hpp"

#include <string_view>

#include "binary/writer.hpp"
#include "image/acm.hpp"
#include "image/errors.hpp"

namespace drtm::image {

namespace {

// hlt; jmp short back to the hlt: the CPU parks here forever.
constexpr std::uint8_t kHaltLoop[] = {0xF4, 0xEB, 0xFD};

constexpr std::string_view kSklMarker = "drtm test SKL: halt loop only, not a Secure Kernel Loader";
constexpr std::string_view kSinitMarker =
    "drtm test SINIT: NOT an Intel module, no key, no signature, emulation only";

void put(binary::Bytes& b, std::size_t off, std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

void put_bytes(binary::Bytes& b, std::size_t off, binary::ByteView v) {
    if (off + v.size() > b.size()) throw BuildError("test image too small for its contents");
    std::copy(v.begin(), v.end(), b.begin() + static_cast<long>(off));
}

}  // namespace

binary::Bytes make_test_skl(const TestSklOptions& o) {
    const std::uint16_t info = o.layout == SlbLayout::compact ? 0x10 : 0x50;
    const std::uint16_t marker = 0xB0;
    if (o.file_size > kSlbMaxFile) throw BuildError("test SKL larger than 60 KiB");
    if (o.measured_length < kTestSklEntry + sizeof kHaltLoop || o.measured_length > o.file_size)
        throw BuildError("test SKL measured length must cover the stub and fit the file");
    if (o.bootloader_data_offset < o.measured_length ||
        kSlbSize - o.bootloader_data_offset < kSlbSlrtReserve)
        throw BuildError(
            "test SKL bootloader_data must follow the measured part, 4 KiB before 64 KiB");

    binary::Bytes b(o.file_size, 0);
    put(b, 0, kTestSklEntry, 2);
    put(b, 2, o.measured_length, 2);
    const std::size_t fields = o.layout == SlbLayout::compact ? 4 : 0x42;
    put(b, fields, info, 2);
    put(b, fields + 2, o.bootloader_data_offset, 2);
    // skl_info: UUID, version, msb_key_algo (SHA-1 id 0x14 as GRUB fills it), 64-byte key hash.
    put_bytes(b, info, kSklInfoUuid);
    put(b, info + 16, o.skl_version, 4);
    put(b, info + 20, 0x14, 2);
    put_bytes(b, marker, binary::as_bytes(kSklMarker));
    put_bytes(b, kTestSklEntry, kHaltLoop);
    return b;
}

binary::Bytes make_test_sinit(const TestSinitOptions& o) {
    std::uint32_t header_len, key_size, scratch_size;
    if (o.header_version == kAcmHeaderVersion0) {
        header_len = 161, key_size = 64, scratch_size = 143;
    } else if (o.header_version == kAcmHeaderVersion3) {
        header_len = 224, key_size = 96, scratch_size = 208;
    } else {
        throw BuildError("test SINIT supports header versions 0.0 and 3.0 only");
    }
    const std::size_t user_area = (std::size_t{header_len} + scratch_size) * 4;
    const std::size_t chipset_list = user_area + 0x40;
    const std::size_t marker = user_area + 0x80;
    const std::size_t gdt = 0xF00;
    if (o.size % 64 != 0 || o.size < kTestSinitEntry + 0x40 || o.size > 0xFFFFFFFFull * 4)
        throw BuildError("test SINIT size must be a multiple of 64 above the entry stub");

    binary::Bytes b(o.size, 0);
    put(b, 0x00, kAcmTypeChipset, 2);
    put(b, 0x02, kAcmSubtypeTxt, 2);
    put(b, 0x04, header_len, 4);
    put(b, 0x08, o.header_version, 4);
    put(b, 0x0C, o.chipset_id, 2);
    put(b, 0x0E, kAcmFlagDebugSigned | kAcmFlagPreProduction, 2);
    put(b, 0x10, kAcmVendorIntel, 4);
    put(b, 0x14, o.date, 4);
    put(b, 0x18, o.size / 4, 4);
    put(b, 0x1C, o.txt_svn, 2);
    put(b, 0x1E, o.se_svn, 2);
    put(b, 0x20, 0, 4);                // code_control
    put(b, 0x24, kTestSinitEntry, 4);  // error_entry_point: the same halt loop
    put(b, 0x28, 0x17, 4);             // gdt_limit: three descriptors
    put(b, 0x2C, gdt, 4);              // gdt_base (offset in the module)
    put(b, 0x30, 0x08, 4);             // seg_sel
    put(b, 0x34, kTestSinitEntry, 4);
    put(b, 0x78, key_size, 4);
    put(b, 0x7C, scratch_size, 4);
    // Key, exponent, signature and scratch stay zero: there is no signature.

    // ACM information table, version 5 (48 bytes).
    put_bytes(b, user_area, kAcmInfoTableUuid);
    b.at(user_area + 16) = kAcmChipsetTypeSinit;
    b.at(user_area + 17) = 5;       // version
    put(b, user_area + 18, 48, 2);  // length
    put(b, user_area + 20, chipset_list, 4);
    put(b, user_area + 24, 7, 4);           // os_sinit_data_ver (TPM 2.0)
    put(b, user_area + 28, 0x00020001, 4);  // min_mle_hdr_ver
    put(b, user_area + 32, o.capabilities, 4);
    b.at(user_area + 36) = 1;  // acm_ver
    // processor_id_list and tpm_info_list: 0 = none.

    // Chipset ID list: count 1; flags 0, vendor 0x8086, device 0xB002 (QEMU q35-like), revision 1.
    put(b, chipset_list, 1, 4);
    put(b, chipset_list + 4, 0, 4);
    put(b, chipset_list + 8, 0x8086, 2);
    put(b, chipset_list + 10, 0xB002, 2);
    put(b, chipset_list + 12, 1, 2);
    put_bytes(b, marker, binary::as_bytes(kSinitMarker));
    // Flat 32-bit code and data descriptors, as an ACM's own GDT would hold.
    put(b, gdt + 8, 0x00CF9B000000FFFFull, 8);
    put(b, gdt + 16, 0x00CF93000000FFFFull, 8);
    put_bytes(b, kTestSinitEntry, kHaltLoop);
    return b;
}

}  // namespace drtm::image
