// The AMD SKINIT Secure Loader Block as shipped by the Secure Kernel Loader
// (reference/formats.md §6). The two header layouts cannot be told apart from
// the bytes, so the caller names the one its SKL release uses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "binary/bytes.hpp"

namespace drtm::image {

enum class SlbLayout {
    compact,  // layout 1: u16 entry, length, skl_info, bootloader_data (SKL master/slrt, AEM GRUB)
    amd_header,  // layout 2: 64-byte AMD header, skl_info at 0x42, bootloader_data at 0x44
};

inline constexpr std::size_t kSlbSize = 0x10000;        // 64 KiB, 64 KiB aligned
inline constexpr std::size_t kSlbSlrtReserve = 0x1000;  // GRUB's 4 KiB SLRT
inline constexpr std::size_t kSlbMaxFile = kSlbSize - kSlbSlrtReserve;
// 78f1268e-0492-11e9-832a-c85b76c4cc02, in byte order.
inline constexpr std::array<std::uint8_t, 16> kSklInfoUuid = {
    0x78, 0xf1, 0x26, 0x8e, 0x04, 0x92, 0x11, 0xe9, 0x83, 0x2a, 0xc8, 0x5b, 0x76, 0xc4, 0xcc, 0x02};
inline constexpr std::uint32_t kSklVersion = 0;  // GRUB_SKL_VERSION

struct Slb {
    SlbLayout layout = SlbLayout::amd_header;
    std::uint16_t entry = 0;            // offset of the SL entry point
    std::uint16_t measured_length = 0;  // SKINIT hashes SLB[0 : measured_length]
    std::uint16_t skl_info_offset = 0;
    std::uint16_t bootloader_data_offset = 0;  // where GRUB writes the SLRT
    std::uint32_t skl_version = 0;
    std::size_t file_size = 0;
};

std::size_t slb_header_size(SlbLayout layout);

// Applies GRUB's checks (slaunch/skl.c grub_skl_set_module()): file <= 60 KiB,
// measured_length <= file, entry < measured_length, skl_info (UUID + version)
// inside the measured part with the right UUID and `expected_version`,
// measured_length <= bootloader_data_offset, and room for a 4 KiB SLRT
// before 64 KiB. Throws binary::ParseError at the offending field.
Slb parse_slb(binary::ByteView file, SlbLayout layout,
              std::uint32_t expected_version = kSklVersion);

// file[0 : measured_length]: the SKINIT measurement input (the DRTM sequence data).
binary::ByteView slb_measured_part(binary::ByteView file, const Slb& slb);

}  // namespace drtm::image
