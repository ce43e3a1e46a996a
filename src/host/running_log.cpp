#include "host/running_log.hpp"

#include <filesystem>

#include "binary/bytes.hpp"
#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/txt_heap.hpp"
#include "host/cpu_features.hpp"
#include "host/limits.hpp"
#include "host/physical_memory_device.hpp"
#include "host/running_txt_heap.hpp"
#include "host/txt_register_decode.hpp"
#include "host/txt_registers.hpp"
#include "host/xen_boot_messages.hpp"

namespace drtm::host {

namespace {

constexpr std::string_view kSecurityfsLog = "/sys/kernel/security/slaunch/eventlog";

// Parses what a source produced; a parse failure names the source.
eventlog::EventLog parse_from(const std::string& location, binary::Bytes bytes,
                              const eventlog::ParseOptions& options = {}) {
    return binary::in_file(location,
                           [&] { return eventlog::parse_event_log(std::move(bytes), options); });
}

RunningLog make_running(LogSource source, std::string location, eventlog::EventLog log,
                        std::size_t bytes_read, std::vector<std::string> notes) {
    return RunningLog{source,     std::move(location), std::move(log),
                      bytes_read, std::move(notes),    {}};
}

}  // namespace

std::string_view log_source_name(LogSource s) {
    switch (s) {
        case LogSource::securityfs:
            return "securityfs";
        case LogSource::xen:
            return "xen";
        case LogSource::txt_heap:
            return "txt-heap";
    }
    return "?";
}

std::optional<LogSource> log_source_from_name(std::string_view name) {
    for (LogSource s : {LogSource::securityfs, LogSource::xen, LogSource::txt_heap})
        if (log_source_name(s) == name) return s;
    return std::nullopt;
}

NoRunningLog::NoRunningLog(std::vector<SourceAttempt> attempts)
    : std::runtime_error([&] {
          std::string m = "no DRTM event log found on this system:";
          for (const auto& a : attempts)
              m += "\n  " + std::string(log_source_name(a.source)) + ": " + a.reason;
          return m;
      }()),
      attempts_(std::move(attempts)) {}

RunningLog read_securityfs_log(const SystemRoot& root) {
    const auto path = root.path(kSecurityfsLog);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        std::string why = "no " + path.string();
        if (!std::filesystem::exists(root.path("/sys/kernel/security/slaunch"), ec))
            why += std::filesystem::exists(root.path("/sys/kernel/security/tpm0"), ec) ||
                           std::filesystem::exists(root.path("/sys/kernel/security/lsm"), ec)
                       ? " (securityfs is mounted but the kernel did not come up through "
                         "Secure Launch)"
                       : " (securityfs is not mounted at /sys/kernel/security, or the kernel "
                         "has no Secure Launch support)";
        throw Unavailable(why);
    }
    auto bytes = binary::read_file(path, kMaxDrtmLogBytes, "the DRTM event log");
    if (bytes.empty() || binary::all_equal(bytes, 0))
        throw Unavailable(path.string() + " is empty: the launch recorded no events");
    const std::size_t size = bytes.size();
    auto log = parse_from(path.string(), std::move(bytes));
    std::vector<std::string> notes{"read " + std::to_string(size) + " bytes from " + path.string() +
                                   ", trimmed at the first empty record"};
    return make_running(LogSource::securityfs, path.string(), std::move(log), size,
                        std::move(notes));
}

RunningLog read_xen_reserved_log(const SystemRoot& root) {
    auto messages = read_xen_boot_messages(root);
    std::optional<ReservedLogRange> range;
    try {
        range = find_reserved_log(messages.text);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(messages.from + ": " + e.what());
    }
    if (!range)
        throw Unavailable(messages.from +
                          " has no \"SLAUNCH: reserving event log\" message from Xen: Xen was "
                          "not started through a TrenchBoot dynamic launch, or its console ring "
                          "has wrapped (save `xl dmesg` early in boot, or raise conring_size=)");
    const std::uint64_t size = range->end - range->start;
    if (size > kMaxDrtmLogBytes)
        throw std::runtime_error(messages.from + ": the reserved event log (" +
                                 binary::hex_number(range->start) + " - " +
                                 binary::hex_number(range->end) + ") is larger than " +
                                 std::to_string(kMaxDrtmLogBytes) + " bytes, the limit");
    PhysicalMemoryDevice mem(root.path("/dev/mem"));
    auto bytes = mem.read(range->start, static_cast<std::size_t>(size), "the DRTM event log");
    if (binary::all_equal(bytes, 0))
        throw Unavailable(mem.path().string() + ": the reserved log at " +
                          binary::hex_number(range->start) +
                          " reads as zeros (the kernel may hide RAM from /dev/mem: "
                          "CONFIG_STRICT_DEVMEM)");
    const std::string location = mem.path().string() + " " + binary::hex_number(range->start) +
                                 "-" + binary::hex_number(range->end);
    auto log = parse_from(location, std::move(bytes));
    std::vector<std::string> notes{"found in " + messages.from + ": \"" + range->line + "\""};
    return make_running(LogSource::xen, location, std::move(log), static_cast<std::size_t>(size),
                        std::move(notes));
}

RunningLog read_txt_heap_log(const SystemRoot& root) {
    PhysicalMemoryDevice mem(root.path("/dev/mem"));
    // Without a completed SENTER the heap holds no log of this boot: only
    // BiosData (no launch), or the tables of an earlier boot (a warm reset).
    const std::uint64_t sts = mem.read_register64(txt_register::public_space + txt_register::sts);
    if (sts == ~std::uint64_t{0})
        throw Unavailable(mem.path().string() +
                          ": the TXT public space reads as all ones: no TXT device");
    if (!senter_done(sts))
        throw Unavailable(mem.path().string() + ": TXT.STS " + binary::hex_number(sts) +
                          " has SENTER.DONE clear: no measured launch is in effect, so the "
                          "TXT heap holds no log of this boot");
    const RunningTxtHeap running_heap = read_running_txt_heap(mem);
    const std::uint64_t base = running_heap.base, size = running_heap.size;
    const binary::Bytes& heap = running_heap.bytes;
    const std::string& heap_location = running_heap.location;
    const eventlog::TxtHeapInfo& info = running_heap.info;
    if (!info.log_pointer) {
        std::string why = heap_location + ": OsSinitData (version " +
                          std::to_string(info.os_sinit_data_version) +
                          ") has no EVENT_LOG_POINTER2_1 element";
        if (!info.legacy_logs.empty())
            why += "; it names " + std::to_string(info.legacy_logs.size()) +
                   " legacy per-bank logs (element type 7), which drtm does not read";
        throw Unavailable(why);
    }
    const eventlog::TxtLogPointer& p = *info.log_pointer;
    if (p.allocated_size > kMaxDrtmLogBytes)
        throw std::runtime_error(heap_location + ": the log's AllocatedEventContainerSize " +
                                 binary::hex_number(p.allocated_size) + " is larger than " +
                                 std::to_string(kMaxDrtmLogBytes) + " bytes, the limit");
    if (p.first_record_offset > p.next_record_offset || p.next_record_offset > p.allocated_size)
        throw std::runtime_error(
            heap_location + ": log pointer offsets out of order (FirstRecordOffset " +
            binary::hex_number(p.first_record_offset) + ", NextRecordOffset " +
            binary::hex_number(p.next_record_offset) + ", AllocatedEventContainerSize " +
            binary::hex_number(p.allocated_size) + ")");

    std::vector<std::string> notes{
        "TXT.HEAP.BASE " + binary::hex_number(base) + ", TXT.HEAP.SIZE " +
        binary::hex_number(size) + "; OsSinitData version " +
        std::to_string(info.os_sinit_data_version) + ", log pointer element at heap offset " +
        binary::hex_number(info.log_pointer_offset)};
    // SINIT writes the log's physical address. A heap captured by other tools
    // (intel-secl's txt_heap_info.bin) holds it relative to the heap instead;
    // that placement is tried second, and said.
    binary::Bytes area;
    std::string location, unreadable;
    try {
        area = mem.read(p.physical_address, p.allocated_size, "the DRTM event log");
    } catch (const Unavailable& e) {
        area.clear();
        unreadable = e.what();
    }
    if (eventlog::spec_id_event03_at(area, p.first_record_offset)) {
        // Offsets in parse errors count from the first record.
        location = mem.path().string() + " " +
                   binary::hex_number(p.physical_address + p.first_record_offset) + "-" +
                   binary::hex_number(p.physical_address + p.allocated_size);
    } else if (p.physical_address < size && size - p.physical_address >= p.allocated_size &&
               eventlog::spec_id_event03_at(
                   binary::ByteView(heap).subspan(static_cast<std::size_t>(p.physical_address),
                                                  p.allocated_size),
                   p.first_record_offset)) {
        const auto at = static_cast<std::size_t>(p.physical_address);
        area.assign(heap.begin() + static_cast<std::ptrdiff_t>(at),
                    heap.begin() + static_cast<std::ptrdiff_t>(at + p.allocated_size));
        location =
            heap_location + " +" + binary::hex_number(p.physical_address + p.first_record_offset);
        notes.push_back("PhysicalAddress " + binary::hex_number(p.physical_address) +
                        " holds no log; it was read relative to the heap (as captured heaps "
                        "store it)");
    } else if (!unreadable.empty()) {
        // The pointer may be right; the kernel would not let us look.
        throw Unavailable(heap_location + ": the log pointer names " +
                          binary::hex_number(p.physical_address) +
                          ", which cannot be read: " + unreadable);
    } else {
        throw std::runtime_error(heap_location + ": the log pointer's PhysicalAddress " +
                                 binary::hex_number(p.physical_address) +
                                 " does not hold a TCG log (no Spec ID Event03 at its "
                                 "FirstRecordOffset " +
                                 binary::hex_number(p.first_record_offset) + ")");
    }
    const std::size_t read = area.size();
    // The records run from FirstRecordOffset to NextRecordOffset; the rest of
    // the allocation is free space.
    area.erase(area.begin(), area.begin() + p.first_record_offset);
    eventlog::ParseOptions options;
    options.format = eventlog::InputFormat::crypto_agile;
    options.end_offset = p.next_record_offset - p.first_record_offset;
    auto log = parse_from(location, std::move(area), options);
    notes.push_back("records end at NextRecordOffset " + binary::hex_number(p.next_record_offset));
    return make_running(LogSource::txt_heap, location, std::move(log), read, std::move(notes));
}

RunningLog read_running_log(const SystemRoot& root, std::optional<LogSource> only) {
    std::vector<SourceAttempt> attempts;
    auto try_source = [&](LogSource s) -> std::optional<RunningLog> {
        if (only && *only != s) return std::nullopt;
        try {
            switch (s) {
                case LogSource::securityfs:
                    return read_securityfs_log(root);
                case LogSource::xen:
                    return read_xen_reserved_log(root);
                case LogSource::txt_heap:
                    return read_txt_heap_log(root);
            }
        } catch (const Unavailable& e) {
            attempts.push_back(
                {s, std::string(e.what()) + (s == LogSource::txt_heap ? no_smx_hint(root) : "")});
        }
        return std::nullopt;
    };
    for (LogSource s : {LogSource::securityfs, LogSource::xen, LogSource::txt_heap}) {
        if (auto found = try_source(s)) {
            found->skipped = attempts;
            return std::move(*found);
        }
    }
    throw NoRunningLog(std::move(attempts));
}

}  // namespace drtm::host
