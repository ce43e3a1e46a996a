// A TXT heap as drtm reads it from /dev/mem: the walk to the log pointer,
// every table's fields (`drtm txt status`), and OsMleData's loader layout.
#include "eventlog/txt_heap.hpp"
#include "eventlog/txt_heap_tables.hpp"
#include "fuzz_target.hpp"
#include "host/loader_os_mle.hpp"

using namespace drtm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto heap = fuzz::view(data, size);
    fuzz::rejecting_is_fine([&] {
        auto info = eventlog::parse_txt_heap(heap, 0, size, 0x7a000000);
        fuzz::rejecting_is_fine(
            [&] { (void)eventlog::to_json(eventlog::decode_txt_heap_tables(heap, info)).dump(); });
        fuzz::rejecting_is_fine([&] { (void)host::secure_launch_os_mle(heap, info); });
        fuzz::rejecting_is_fine([&] { (void)eventlog::locate_heap_log(heap, info, false); });
    });
    return 0;
}
