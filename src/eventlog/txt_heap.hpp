// Walking an Intel TXT heap to the DRTM log (formats.md §3.3–3.6): the four
// regions, then OsSinitData's extended elements, then the type-8 pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "binary/reader.hpp"

#include "binary/bytes.hpp"
#include "eventlog/txt_heap_info.hpp"

namespace drtm::eventlog {

// The heap occupies input[heap_offset, heap_offset + heap_size).
TxtHeapInfo parse_txt_heap(binary::ByteView input, std::size_t heap_offset, std::uint64_t heap_size,
                           std::optional<std::uint64_t> physical_base = std::nullopt);

// intel-secl's txt_heap_info.bin: it stands in for /dev/mem. Bytes 0–7 hold
// TXT.HEAP.BASE, 8–15 TXT.HEAP.SIZE, and the heap copy lies at file offset
// TXT.HEAP.BASE.
TxtHeapInfo parse_txt_heap_image(binary::ByteView input);

// The extended data elements from `r`'s position to the END element (included)
// or the end of `r`, which `table` names in errors; a list without END gets a
// note. Bodies are skipped, not parsed.
std::vector<TxtHeapElement> list_heap_elements(binary::Reader& r, const char* table,
                                               std::vector<std::string>& notes);

// Whether `area` holds a TCG_PCR_EVENT carrying Spec ID Event03 at
// `first_record_offset`: how a log pointer is checked to lead to a log.
bool spec_id_event03_at(binary::ByteView area, std::size_t first_record_offset);

// Cheap structural checks used by auto-detection.
bool looks_like_txt_heap(binary::ByteView heap);
bool looks_like_txt_heap_image(binary::ByteView input);

// Where the log named by the type-8 element starts in `input` (the byte at
// PhysicalAddress). Tries, in order: PhysicalAddress − TXT.HEAP.BASE inside
// the heap copy; PhysicalAddress as a file offset of an image; PhysicalAddress
// relative to the heap (what intel-secl's image holds). The first that shows a
// Spec ID Event03 at its FirstRecordOffset wins.
struct HeapLogLocation {
    std::size_t offset = 0;
    std::string how;
};
HeapLogLocation locate_heap_log(binary::ByteView input, const TxtHeapInfo& heap, bool is_image);

}  // namespace drtm::eventlog
