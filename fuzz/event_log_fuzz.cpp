// Event logs in every format drtm reads (auto-detected, as `drtm log show`
// does), then replay and JSON, which walk what the parser accepted.
#include "eventlog/json.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "fuzz_target.hpp"

using namespace drtm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks a format: 0 = auto-detect, else a forced one.
    static constexpr eventlog::InputFormat formats[] = {
        eventlog::InputFormat::auto_detect, eventlog::InputFormat::crypto_agile,
        eventlog::InputFormat::sha1,        eventlog::InputFormat::txt_container,
        eventlog::InputFormat::skl_tpm12,   eventlog::InputFormat::bare_event2,
        eventlog::InputFormat::txt_heap,    eventlog::InputFormat::txt_heap_image};
    eventlog::ParseOptions options;
    options.format = formats[data[0] % std::size(formats)];
    // Bit 7: the records end where the next two bytes say, as for a log
    // whose NextRecordOffset lives in the TXT heap (`drtm log read`).
    if (data[0] & 0x80 && size >= 3) {
        options.end_offset = static_cast<std::size_t>(data[1] | data[2] << 8);
        data += 2;
        size -= 2;
    }
    fuzz::rejecting_is_fine([&] {
        auto log = eventlog::parse_event_log(fuzz::view(data + 1, size - 1), options);
        auto replayed = eventlog::replay(log);
        (void)eventlog::to_json(log).dump();
        (void)eventlog::to_json(replayed).dump();
    });
    return 0;
}
