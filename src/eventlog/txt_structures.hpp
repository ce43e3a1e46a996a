// The small Intel TXT structures that frame a DRTM log (formats.md §3.5–3.8):
// the type-8 log pointer (also SKL's vendorInfo), the TPM 1.2 "TXT Event
// Container" header, and the legacy per-bank descriptors of type 7.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "binary/bytes.hpp"
#include "binary/reader.hpp"
#include "binary/writer.hpp"

namespace drtm::eventlog {

// Heap extended-data element types (SDG Table 32) that drtm acts on.
namespace heap_element {
inline constexpr std::uint32_t end = 0;
inline constexpr std::uint32_t tpm12_event_log = 5;
inline constexpr std::uint32_t event_log_pointer2 = 7;    // legacy per-bank
inline constexpr std::uint32_t event_log_pointer2_1 = 8;  // TCG-format log
}  // namespace heap_element

// HEAP_EVENT_LOG_POINTER_ELEMENT2_1 body (20 bytes). Offsets are relative to
// physical_address.
struct TxtLogPointer {
    std::uint64_t physical_address = 0;
    std::uint32_t allocated_size = 0;
    std::uint32_t first_record_offset = 0;
    std::uint32_t next_record_offset = 0;

    bool operator==(const TxtLogPointer&) const = default;
};
inline constexpr std::size_t txt_log_pointer_size = 20;
// Where NextRecordOffset sits inside the 20-byte body (the appender patches it).
inline constexpr std::size_t txt_log_pointer_next_field = 16;

TxtLogPointer parse_txt_log_pointer(binary::Reader& r);
void encode_txt_log_pointer(binary::Writer& w, const TxtLogPointer& p);
binary::Bytes encode_txt_log_pointer(const TxtLogPointer& p);
// The whole heap element: {Type 8, Size 28} then the body.
binary::Bytes encode_log_pointer_element(const TxtLogPointer& p);

// TXT Event Container header (48 bytes). Offsets are relative to the
// container's first byte.
inline constexpr std::string_view txt_container_signature = "TXT Event Container";
inline constexpr std::size_t txt_container_header_size = 48;
inline constexpr std::size_t txt_container_next_field = 0x2C;

struct TxtContainerHeader {
    std::uint8_t container_version_major = 1;
    std::uint8_t container_version_minor = 0;
    std::uint8_t event_version_major = 1;
    std::uint8_t event_version_minor = 0;
    std::uint32_t container_size = 0;
    std::uint32_t pcr_events_offset = txt_container_header_size;
    std::uint32_t next_event_offset = txt_container_header_size;

    bool operator==(const TxtContainerHeader&) const = default;
};

// Checks the signature and that the offsets are ordered; it does not check
// them against the buffer (the caller knows how much memory is really there).
TxtContainerHeader parse_txt_container_header(binary::Reader& r);
void encode_txt_container_header(binary::Writer& w, const TxtContainerHeader& h);
bool has_txt_container_signature(binary::ByteView bytes);

// One descriptor of a legacy type-7 element (24 bytes).
struct LegacyLogDescriptor {
    std::uint16_t alg_id = 0;
    std::uint64_t physical_address = 0;
    std::uint32_t size = 0;
    std::uint32_t pcr_events_offset = 0;
    std::uint32_t next_event_offset = 0;

    bool operator==(const LegacyLogDescriptor&) const = default;
};

// Element body: u32 count, then count descriptors.
std::vector<LegacyLogDescriptor> parse_legacy_log_descriptors(binary::Reader& r);

}  // namespace drtm::eventlog
