// Parsing any log drtm meets: UEFI/TCG logs, DRTM logs from SINIT and SKL,
// the zero-padded securityfs buffer, TXT containers and whole TXT heaps.
// Malformed input raises binary::ParseError naming the byte offset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "binary/bytes.hpp"
#include "eventlog/event_log.hpp"

namespace drtm::eventlog {

enum class InputFormat {
    auto_detect,
    crypto_agile,    // TCG log with Spec ID Event03 (UEFI, SINIT, SKL TPM 2.0)
    sha1,            // TCG_PCR_EVENT records only
    txt_container,   // starts with "TXT Event Container" (TPM 1.2 TXT, SKL 1.2 via securityfs)
    skl_tpm12,       // SKL TPM 1.2: Spec ID Event00 + embedded container
    bare_event2,     // TCG_PCR_EVENT2 records without a header; never auto-detected
    txt_heap,        // a raw TXT heap (BiosData first)
    txt_heap_image,  // u64 heap base, u64 heap size, heap copy at that base (intel-secl)
};

std::string_view input_format_name(InputFormat f);
std::optional<InputFormat> input_format_from_name(std::string_view name);

struct ParseOptions {
    InputFormat format = InputFormat::auto_detect;
    // Digest sizes for bare_event2. Empty: sha1, sha256, sha384, sha512, sm3_256.
    std::vector<AlgorithmSize> bare_algorithms;
    // Absolute offset where the records end (e.g. a NextRecordOffset kept
    // outside the log, in the TXT heap). Overrides padding detection.
    std::optional<std::size_t> end_offset;
    // TXT.HEAP.BASE of a raw heap, to turn the log's PhysicalAddress into an
    // offset. Heap images carry it themselves.
    std::optional<std::uint64_t> heap_physical_base;
};

// The largest input parse_event_log accepts: event logs, securityfs buffers
// and TXT heap images (real ones are at most a few MiB). Larger inputs are
// refused before anything is parsed; files before they are read.
inline constexpr std::size_t kMaxLogInputBytes = 64u << 20;  // 64 MiB

// What a parse may allocate, at most, for an input of N bytes:
// kParseMemoryPerInputByte × N + kParseMemoryConstant, the input's own copy
// included (tests/eventlog/parse_memory_test.cpp measures the worst case).
inline constexpr std::size_t kParseMemoryPerInputByte = 8;
inline constexpr std::size_t kParseMemoryConstant = 1u << 20;

// Which format auto-detection picks for these bytes.
InputFormat detect_format(binary::ByteView input);

EventLog parse_event_log(binary::Bytes input, const ParseOptions& options = {});
EventLog parse_event_log(binary::ByteView input, const ParseOptions& options = {});
EventLog read_event_log(const std::filesystem::path& path, const ParseOptions& options = {});

}  // namespace drtm::eventlog
