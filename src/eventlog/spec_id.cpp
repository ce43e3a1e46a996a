#include "eventlog/spec_id.hpp"

#include <cstring>
#include <stdexcept>

namespace drtm::eventlog {

namespace {

constexpr std::size_t signature_size = 16;

// Reads the 16-byte signature field and checks it; the error points at the field.
void expect_signature(binary::Reader& r, std::string_view expected) {
    std::size_t pos = r.position();
    binary::ByteView sig = r.bytes(signature_size, "Spec ID signature");
    if (std::memcmp(sig.data(), expected.data(), expected.size()) != 0 || sig[expected.size()] != 0)
        r.fail_at(pos, std::string("wrong signature: expected \"") + std::string(expected) + "\"");
}

void write_signature(binary::Writer& w, std::string_view s) {
    w.fixed_string(s, signature_size);
}

}  // namespace

std::vector<AlgorithmSize> algorithm_sizes(std::span<const crypto::HashAlg> algs) {
    std::vector<AlgorithmSize> out;
    out.reserve(algs.size());
    for (crypto::HashAlg a : algs)
        out.push_back({crypto::alg_id(a), static_cast<std::uint16_t>(crypto::digest_size(a))});
    return out;
}

SpecIdEvent parse_spec_id_event(binary::Reader& r) {
    SpecIdEvent s;
    expect_signature(r, spec_id_event03_signature);
    s.platform_class = r.u32le();
    s.version_minor = r.u8();
    s.version_major = r.u8();
    s.errata = r.u8();
    s.uintn_size = r.u8();
    std::size_t count_pos = r.position();
    std::uint32_t n = r.u32le();
    if (n == 0) r.fail_at(count_pos, "numberOfAlgorithms is 0");
    // Each entry is 4 bytes; checking against what is left keeps a lying
    // count from reserving gigabytes.
    if (n > r.remaining() / 4)
        r.fail_at(count_pos, "numberOfAlgorithms " + std::to_string(n) +
                                 " does not fit in the Spec ID event (" +
                                 std::to_string(r.remaining()) + " bytes left)");
    s.algorithms.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::size_t pos = r.position();
        AlgorithmSize a;
        a.alg_id = r.u16le();
        a.digest_size = r.u16le();
        if (a.digest_size == 0)
            r.fail_at(pos, "digest size 0 for algorithm " + std::to_string(a.alg_id));
        if (auto known = crypto::alg_from_id(a.alg_id);
            known && crypto::digest_size(*known) != a.digest_size)
            r.fail_at(pos, std::string(crypto::alg_name(*known)) + " declared with " +
                               std::to_string(a.digest_size) + "-byte digests");
        for (const AlgorithmSize& prev : s.algorithms)
            if (prev.alg_id == a.alg_id)
                r.fail_at(pos, "algorithm " + std::to_string(a.alg_id) + " declared twice");
        s.algorithms.push_back(a);
    }
    std::uint8_t vendor_size = r.u8();
    binary::ByteView vendor = r.bytes(vendor_size, "vendorInfo");
    s.vendor_info.assign(vendor.begin(), vendor.end());
    return s;
}

std::size_t encoded_size(const SpecIdEvent& spec) {
    return 28 + 4 * spec.algorithms.size() + 1 + spec.vendor_info.size();
}

void encode_spec_id_event(binary::Writer& w, const SpecIdEvent& s) {
    if (s.vendor_info.size() > 0xFF)
        throw std::invalid_argument("vendorInfo longer than 255 bytes");
    write_signature(w, spec_id_event03_signature);
    w.u32le(s.platform_class);
    w.u8(s.version_minor);
    w.u8(s.version_major);
    w.u8(s.errata);
    w.u8(s.uintn_size);
    w.u32le(static_cast<std::uint32_t>(s.algorithms.size()));
    for (const AlgorithmSize& a : s.algorithms) {
        w.u16le(a.alg_id);
        w.u16le(a.digest_size);
    }
    w.u8(static_cast<std::uint8_t>(s.vendor_info.size()));
    w.bytes(s.vendor_info);
}

SpecIdEvent make_spec_id_event(std::span<const crypto::HashAlg> banks, std::uint8_t uintn_size,
                               Bytes vendor_info) {
    SpecIdEvent s;
    s.uintn_size = uintn_size;
    s.algorithms = algorithm_sizes(banks);
    s.vendor_info = std::move(vendor_info);
    return s;
}

SpecIdEvent00 parse_spec_id_event00(binary::Reader& r) {
    SpecIdEvent00 s;
    expect_signature(r, spec_id_event00_signature);
    s.platform_class = r.u32le();
    s.version_minor = r.u8();
    s.version_major = r.u8();
    s.errata = r.u8();
    s.uintn_size = r.u8();
    std::uint8_t vendor_size = r.u8();
    binary::ByteView vendor = r.bytes(vendor_size, "vendorInfo");
    s.vendor_info.assign(vendor.begin(), vendor.end());
    return s;
}

void encode_spec_id_event00(binary::Writer& w, const SpecIdEvent00& s) {
    if (s.vendor_info.size() > 0xFF)
        throw std::invalid_argument("vendorInfo longer than 255 bytes");
    write_signature(w, spec_id_event00_signature);
    w.u32le(s.platform_class);
    w.u8(s.version_minor);
    w.u8(s.version_major);
    w.u8(s.errata);
    w.u8(s.uintn_size);
    w.u8(static_cast<std::uint8_t>(s.vendor_info.size()));
    w.bytes(s.vendor_info);
}

}  // namespace drtm::eventlog
