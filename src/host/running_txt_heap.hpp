// The running machine's TXT heap: TXT.HEAP.BASE / TXT.HEAP.SIZE from the
// public space, the heap read from /dev/mem, and its walk.
#pragma once

#include <cstdint>
#include <string>

#include "binary/bytes.hpp"
#include "eventlog/txt_heap_info.hpp"
#include "host/physical_memory_device.hpp"

namespace drtm::host {

struct RunningTxtHeap {
    std::uint64_t base = 0, size = 0;
    binary::Bytes bytes;         // the heap; offsets in `info` index into it
    eventlog::TxtHeapInfo info;  // physical_base = base
    std::string location;        // "/dev/mem TXT heap 0x…-0x…", for messages
};

// Throws Unavailable when there is no heap (no TXT), std::runtime_error for a
// heap larger than kMaxTxtHeapBytes or one that does not parse (naming the
// byte offset within the heap).
RunningTxtHeap read_running_txt_heap(const PhysicalMemoryDevice& mem);

}  // namespace drtm::host
