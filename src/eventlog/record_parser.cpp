#include "eventlog/record_parser.hpp"

#include <cstdio>
#include <string>

#include "crypto/hash_alg.hpp"

namespace drtm::eventlog {

namespace {

constexpr std::size_t event1_fixed_size = 32;  // pcr, type, sha1[20], size
constexpr std::size_t event2_head_size = 12;   // pcr, type, count
constexpr std::uint16_t sha1_id = 0x0004;

bool all_bytes(binary::ByteView v, std::uint8_t value) {
    for (std::uint8_t b : v)
        if (b != value) return false;
    return true;
}

std::uint32_t le32(binary::ByteView v, std::size_t at) {
    return static_cast<std::uint32_t>(v[at]) | static_cast<std::uint32_t>(v[at + 1]) << 8 |
           static_cast<std::uint32_t>(v[at + 2]) << 16 |
           static_cast<std::uint32_t>(v[at + 3]) << 24;
}

bool is_fill(binary::ByteView v) {
    return all_bytes(v, 0x00) || all_bytes(v, 0xFF);
}

std::string alg_label(std::uint16_t id) {
    if (auto a = crypto::alg_from_id(id)) return std::string(crypto::alg_name(*a));
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%04x", id);
    return buf;
}

}  // namespace

RecordsEnd parse_event2_records(binary::Reader& r, std::span<const AlgorithmSize> algs,
                                LogBuilder& b) {
    while (!r.at_end()) {
        const std::size_t start = r.position();
        if (r.remaining() < event2_head_size) {
            if (is_fill(r.peek(r.remaining()))) return {start, true};
            r.fail("truncated TCG_PCR_EVENT2: need 12 bytes for PCRIndex, EventType and count, " +
                   std::to_string(r.remaining()) + " left");
        }
        binary::ByteView head = r.peek(event2_head_size);
        // AEM's rule for zero-padded DRTM buffers: a record with no digests
        // is where the log ends. 0xFF-filled ACPI areas end the same way.
        if (all_bytes(head.subspan(8, 4), 0x00) || all_bytes(head, 0xFF)) return {start, true};

        // One bounds check for the fixed part instead of three: this loop
        // runs once per event of logs with hundreds of thousands of them.
        r.skip(event2_head_size);
        const std::uint32_t pcr = le32(head, 0);
        const std::uint32_t type = le32(head, 4);
        const std::uint32_t count = le32(head, 8);
        if (count > algs.size())
            r.fail_at(start + 8, "digest count " + std::to_string(count) + " exceeds the " +
                                     std::to_string(algs.size()) +
                                     " algorithm(s) the log declares");
        const std::size_t first = b.digest_count();
        for (std::uint32_t i = 0; i < count; ++i) {
            const std::size_t pos = r.position();
            const std::uint16_t alg = r.u16le();
            std::size_t size = 0;
            for (const AlgorithmSize& a : algs)
                if (a.alg_id == alg) {
                    size = a.digest_size;
                    break;
                }
            if (size == 0)
                r.fail_at(pos, "digest algorithm " + alg_label(alg) +
                                   " is not declared in the log header");
            for (std::size_t j = first; j < b.digest_count(); ++j)
                if (b.digest(j).alg_id == alg)
                    r.fail_at(
                        pos, "digest algorithm " + alg_label(alg) + " appears twice in one record");
            b.add_digest(alg, r.bytes(size, "digest"));
        }
        const std::uint32_t data_size = r.u32le();
        binary::ByteView data = r.bytes(data_size, "event data");
        b.add_event(r.offset_of(start), r.position() - start, pcr, type, data, first);
    }
    return {r.position(), false};
}

binary::ByteView parse_event1_record(binary::Reader& r, LogBuilder& b) {
    const std::size_t start = r.position();
    const std::uint32_t pcr = r.u32le();
    const std::uint32_t type = r.u32le();
    const std::size_t first = b.digest_count();
    b.add_digest(sha1_id, r.bytes(20, "SHA-1 digest"));
    const std::uint32_t data_size = r.u32le();
    binary::ByteView data = r.bytes(data_size, "event data");
    b.add_event(r.offset_of(start), r.position() - start, pcr, type, data, first);
    return data;
}

RecordsEnd parse_event1_records(binary::Reader& r, LogBuilder& b) {
    while (!r.at_end()) {
        const std::size_t start = r.position();
        if (r.remaining() < event1_fixed_size) {
            if (is_fill(r.peek(r.remaining()))) return {start, true};
            r.fail("truncated TCG_PCR_EVENT: need 32 bytes for the fixed part, " +
                   std::to_string(r.remaining()) + " left");
        }
        if (is_fill(r.peek(event1_fixed_size))) return {start, true};
        parse_event1_record(r, b);
    }
    return {r.position(), false};
}

}  // namespace drtm::eventlog
