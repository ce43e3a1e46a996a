#include "image/slb.hpp"
#include "binary/bytes.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "binary/reader.hpp"

namespace drtm::image {

namespace {

constexpr std::size_t kSklInfoSize = 20;  // UUID + u32 version

std::string hex(std::uint64_t v) {
    return binary::hex_number(v);
}

}  // namespace

std::size_t slb_header_size(SlbLayout layout) {
    return layout == SlbLayout::compact ? 8 : 0x46;
}

Slb parse_slb(binary::ByteView file, SlbLayout layout, std::uint32_t expected_version) {
    binary::Reader r(file);
    if (file.size() < slb_header_size(layout))
        r.fail("truncated SLB: " + std::to_string(file.size()) + " bytes, the header needs " +
               std::to_string(slb_header_size(layout)));
    if (file.size() > kSlbMaxFile)
        r.fail_at(0, "SLB file of " + hex(file.size()) +
                         " bytes leaves no room for GRUB's 4 KiB SLRT (max 0xf000)");
    Slb s;
    s.layout = layout;
    s.file_size = file.size();
    s.entry = r.u16le();
    s.measured_length = r.u16le();
    std::size_t info_field = layout == SlbLayout::compact ? 4 : 0x42;
    r.seek(info_field);
    s.skl_info_offset = r.u16le();
    s.bootloader_data_offset = r.u16le();

    if (s.measured_length > file.size())
        r.fail_at(2, "measured length " + hex(s.measured_length) + " is larger than the " +
                         hex(file.size()) + "-byte file");
    if (s.measured_length < slb_header_size(layout))
        r.fail_at(2, "measured length " + hex(s.measured_length) + " does not cover the header");
    if (s.entry >= s.measured_length)
        r.fail_at(0, "entry point " + hex(s.entry) + " is not inside the measured part (" +
                         hex(s.measured_length) + " bytes)");
    if (std::size_t{s.skl_info_offset} + kSklInfoSize > s.measured_length)
        r.fail_at(info_field, "skl_info at " + hex(s.skl_info_offset) +
                                  " (UUID and version) is not inside the measured part");
    if (s.measured_length > s.bootloader_data_offset)
        r.fail_at(info_field + 2, "bootloader_data at " + hex(s.bootloader_data_offset) +
                                      " lies inside the measured part: the SLRT would be measured");
    if (kSlbSize - s.bootloader_data_offset < kSlbSlrtReserve)
        r.fail_at(info_field + 2, "bootloader_data at " + hex(s.bootloader_data_offset) +
                                      " leaves less than 4 KiB for the SLRT before 64 KiB");

    binary::ByteView uuid = file.subspan(s.skl_info_offset, kSklInfoUuid.size());
    if (!std::equal(uuid.begin(), uuid.end(), kSklInfoUuid.begin()))
        r.fail_at(s.skl_info_offset,
                  "skl_info UUID is not 78f1268e-0492-11e9-832a-c85b76c4cc02: not an SKL");
    r.seek(s.skl_info_offset + kSklInfoUuid.size());
    s.skl_version = r.u32le();
    if (s.skl_version != expected_version)
        r.fail_at(s.skl_info_offset + 16, "SKL version " + std::to_string(s.skl_version) +
                                              ", expected " + std::to_string(expected_version));
    return s;
}

binary::ByteView slb_measured_part(binary::ByteView file, const Slb& slb) {
    return file.first(std::min<std::size_t>(slb.measured_length, file.size()));
}

}  // namespace drtm::image
