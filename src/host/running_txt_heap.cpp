#include "host/running_txt_heap.hpp"

#include "binary/bytes.hpp"
#include "binary/error.hpp"
#include "eventlog/txt_heap.hpp"
#include "host/limits.hpp"
#include "host/txt_registers.hpp"

namespace drtm::host {

RunningTxtHeap read_running_txt_heap(const PhysicalMemoryDevice& mem) {
    const auto registers = read_txt_heap_registers(mem);
    RunningTxtHeap h;
    h.base = registers.base;
    h.size = registers.size;
    if (h.size > kMaxTxtHeapBytes)
        throw std::runtime_error(mem.path().string() + ": TXT.HEAP.SIZE " +
                                 binary::hex_number(h.size) + " is larger than " +
                                 std::to_string(kMaxTxtHeapBytes) + " bytes, the limit");
    h.bytes = mem.read(h.base, static_cast<std::size_t>(h.size), "the TXT heap",
                       /*map_if_refused=*/true);
    h.location = mem.path().string() + " TXT heap " + binary::hex_number(h.base) + "-" +
                 binary::hex_number(h.base + h.size);
    h.info = binary::in_file(h.location,
                             [&] { return eventlog::parse_txt_heap(h.bytes, 0, h.size, h.base); });
    return h;
}

}  // namespace drtm::host
