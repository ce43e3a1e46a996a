// The Spec ID structures that open a log (formats.md §2.2, §2.3): they say
// which digests every later record carries, and DRTM logs hide the TXT
// structures in their vendorInfo.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "crypto/hash_alg.hpp"

namespace drtm::eventlog {

using binary::Bytes;

inline constexpr std::string_view spec_id_event03_signature = "Spec ID Event03";
inline constexpr std::string_view spec_id_event00_signature = "Spec ID Event00";

// One entry of digestSizes[]: the size comes from the log, not from a
// built-in table, so an algorithm drtm does not know can still be skipped.
struct AlgorithmSize {
    std::uint16_t alg_id = 0;
    std::uint16_t digest_size = 0;

    bool operator==(const AlgorithmSize&) const = default;
};

std::vector<AlgorithmSize> algorithm_sizes(std::span<const crypto::HashAlg> algs);

// TCG_EfiSpecIDEventStruct, "Spec ID Event03".
struct SpecIdEvent {
    std::uint32_t platform_class = 0;  // 0 client, 1 server
    std::uint8_t version_minor = 0;
    std::uint8_t version_major = 2;
    std::uint8_t errata = 0;
    std::uint8_t uintn_size = 2;  // 1 = UINT32 (TXT SINIT), 2 = UINT64 (SKL, UEFI)
    std::vector<AlgorithmSize> algorithms;
    Bytes vendor_info;

    bool operator==(const SpecIdEvent&) const = default;
};

// Parses the event data of the header record. Algorithm sizes are checked:
// a known algorithm with the wrong size, a duplicate or a zero size is an
// error, because every later record is sliced by these sizes.
SpecIdEvent parse_spec_id_event(binary::Reader& r);
void encode_spec_id_event(binary::Writer& w, const SpecIdEvent& spec);
std::size_t encoded_size(const SpecIdEvent& spec);

// A Spec ID Event03 for the given banks, in that order.
SpecIdEvent make_spec_id_event(std::span<const crypto::HashAlg> banks, std::uint8_t uintn_size = 2,
                               Bytes vendor_info = {});

// "Spec ID Event00" as SKL writes it for TPM 1.2 (§2.3): no algorithm list.
struct SpecIdEvent00 {
    std::uint32_t platform_class = 0;
    std::uint8_t version_minor = 2;
    std::uint8_t version_major = 1;
    std::uint8_t errata = 1;
    std::uint8_t uintn_size = 0;
    Bytes vendor_info;

    bool operator==(const SpecIdEvent00&) const = default;
};

SpecIdEvent00 parse_spec_id_event00(binary::Reader& r);
void encode_spec_id_event00(binary::Writer& w, const SpecIdEvent00& spec);

}  // namespace drtm::eventlog
