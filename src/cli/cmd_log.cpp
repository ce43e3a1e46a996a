// drtm log show|replay|verify: read any TCG / DRTM event log, replay it per
// bank, and compare it with a TPM or with recorded PCR values.
#include <iomanip>
#include <iostream>
#include <memory>

#include "binary/bytes.hpp"
#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/running_log_input.hpp"
#include "eventlog/event_text.hpp"
#include "eventlog/event_types.hpp"
#include "eventlog/json.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "host/running_log.hpp"
#include "tpm/tpm.hpp"

namespace drtm::cli {

namespace {

struct LogOptions {
    std::string file;
    std::string format = "auto";
    std::string tcti;
    std::string pcrs_json;
    std::string banks;
    std::string out;
    std::string root;             // --root: read the running system under this prefix
    std::string source = "auto";  // --source: one running-system source, or all
    bool no_dynamic_launch = false;
    bool json = false;
    bool verbose = false;
};

std::optional<host::LogSource> source_option(const LogOptions& o) {
    if (o.source.empty() || o.source == "auto") return std::nullopt;
    auto s = host::log_source_from_name(o.source);
    if (!s)
        throw CLI::ValidationError(
            "--source", "unknown source '" + o.source + "' (auto, securityfs, xen, txt-heap)");
    return s;
}

host::RunningLog read_running(const LogOptions& o) {
    return read_running_log_announced(o.root, source_option(o));
}

eventlog::EventLog load(const LogOptions& o) {
    if (o.file.empty()) return std::move(read_running(o).log);
    eventlog::ParseOptions po;
    if (o.format != "auto") {
        auto f = eventlog::input_format_from_name(o.format);
        if (!f) throw CLI::ValidationError("--format", "unknown log format '" + o.format + "'");
        po.format = *f;
    }
    auto bytes = binary::read_file(o.file, eventlog::kMaxLogInputBytes, "the event log");
    return binary::in_file(o.file, [&] { return eventlog::parse_event_log(std::move(bytes), po); });
}

eventlog::ReplayResult do_replay(const eventlog::EventLog& log, const LogOptions& o) {
    eventlog::ReplayOptions ro;
    ro.dynamic_launch = !o.no_dynamic_launch;
    if (!o.banks.empty()) ro.banks = parse_bank_list(o.banks);
    return eventlog::replay(log, ro);
}

std::string short_hex(binary::ByteView b, std::size_t n) {
    auto h = binary::to_hex(b);
    return h.size() > n ? h.substr(0, n) + "…" : h;
}

void print_log_text(const eventlog::EventLog& log, bool verbose) {
    std::cout << "format: " << eventlog::format_name(log.format()) << ", " << log.size()
              << " records, ends at offset 0x" << std::hex << log.end_offset() << std::dec << " ("
              << eventlog::end_reason_name(log.end_reason()) << ")\n";
    for (const auto& note : log.notes()) std::cout << "note: " << note << "\n";
    for (const auto& e : log.events()) {
        std::cout << std::setw(4) << e.index << "  @0x" << std::hex << std::setw(5) << std::left
                  << e.offset << std::right << std::dec << "  PCR " << std::setw(2)
                  << (e.pcr > 99 ? std::string("ff") : std::to_string(e.pcr)) << "  "
                  << eventlog::event_type_name(e.type);
        auto text = eventlog::printable_text(e.data);
        if (text && !text->empty())
            std::cout << "  \""
                      << (text->size() > 60 && !verbose ? text->substr(0, 57) + "..." : *text)
                      << "\"";
        else if (!e.data.empty())
            std::cout << "  data " << e.data.size() << " bytes "
                      << short_hex(e.data, verbose ? 4096 : 16);
        std::cout << "\n";
        for (const auto& d : e.digests) {
            auto alg = crypto::alg_from_id(d.alg_id);
            std::cout << "        " << std::setw(8) << std::left
                      << (alg ? std::string(crypto::alg_name(*alg))
                              : "alg 0x" + std::to_string(d.alg_id))
                      << std::right << binary::to_hex(d.bytes) << "\n";
        }
    }
}

void print_replay_text(const eventlog::ReplayResult& r) {
    for (const auto& bank : r.banks) {
        std::cout << crypto::alg_name(bank.alg) << ":\n";
        for (std::uint32_t p = 0; p < eventlog::pcr_count; ++p)
            if (!bank.pcrs[p].events.empty())
                std::cout << "  " << std::setw(2) << p << ": " << binary::to_hex(bank.pcrs[p].value)
                          << "  (" << bank.pcrs[p].events.size() << " events)\n";
    }
    for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
}

}  // namespace

void register_log(CLI::App& app) {
    auto* cmd = app.add_subcommand("log", "Show, replay or verify a TCG or DRTM event log");
    cmd->require_subcommand(1);
    auto o = std::make_shared<LogOptions>();
    const std::string formats =
        "auto, crypto_agile, sha1, txt_container, skl_tpm12, bare_event2, txt_heap, txt_heap_image";

    auto running_options = [&](CLI::App* sub) {
        sub->add_option("--root", o->root,
                        "Read the running system under this directory instead of / "
                        "(default: $DRTM_ROOT)");
        sub->add_option("--source", o->source,
                        "Where to look for the running system's log: auto, securityfs, xen, "
                        "txt-heap")
            ->capture_default_str();
    };
    auto common = [&](CLI::App* sub) {
        sub->add_option("FILE", o->file,
                        "Event log file; without it, the running system's DRTM log (see "
                        "`drtm log read`)");
        sub->add_option("--format", o->format, "Input format of FILE: " + formats)
            ->capture_default_str();
        sub->add_flag("--json", o->json, "Print JSON");
        running_options(sub);
    };

    auto* read = cmd->add_subcommand(
        "read",
        "Find the running system's DRTM log (securityfs, Xen's boot messages + /dev/mem, the "
        "Intel TXT heap) and write it to a file");
    running_options(read);
    read->add_option("--out", o->out, "Write the log, without its padding, here ('-': stdout)");
    read->add_flag("--json", o->json, "Print what was found as JSON");
    read->callback([o] {
        auto found = read_running(*o);
        const auto trimmed = found.log.log_bytes();
        if (!o->out.empty() && o->out != "-") {
            binary::write_file_atomic(o->out, trimmed);
            progress("wrote " + std::to_string(trimmed.size()) + " bytes to " + o->out);
        }
        if (o->out == "-") {
            std::cout.write(reinterpret_cast<const char*>(trimmed.data()),
                            static_cast<std::streamsize>(trimmed.size()));
            std::cout.flush();
            return;
        }
        if (o->json) {
            nlohmann::json j;
            j["source"] = host::log_source_name(found.source);
            j["location"] = found.location;
            j["bytes_read"] = found.bytes_read;
            j["log_bytes"] = trimmed.size();
            j["format"] = eventlog::format_name(found.log.format());
            j["records"] = found.log.size();
            j["notes"] = found.notes;
            auto skipped = nlohmann::json::array();
            for (const auto& a : found.skipped)
                skipped.push_back(
                    {{"source", host::log_source_name(a.source)}, {"reason", a.reason}});
            j["skipped"] = skipped;
            if (!o->out.empty()) j["out"] = o->out;
            print_json(j);
            return;
        }
        std::cout << "source:  " << host::log_source_name(found.source) << "\n"
                  << "where:   " << found.location << "\n"
                  << "format:  " << eventlog::format_name(found.log.format()) << ", "
                  << found.log.size() << " records, " << trimmed.size() << " bytes ("
                  << found.bytes_read << " read)\n";
        for (const auto& n : found.notes) std::cout << "note:    " << n << "\n";
        if (o->out.empty())
            std::cout << "(use --out FILE to save it, or `drtm log show|replay|verify` with no "
                         "file)\n";
    });

    auto* show = cmd->add_subcommand("show", "List the records of a log");
    common(show);
    show->add_flag("-v,--verbose", o->verbose, "Show whole event data");
    show->callback([o] {
        auto log = load(*o);
        if (o->json)
            print_json(eventlog::to_json(log));
        else
            print_log_text(log, o->verbose);
    });

    auto* replay = cmd->add_subcommand("replay", "Compute the PCR values the log leads to");
    common(replay);
    replay->add_option("--banks", o->banks,
                       "Banks to replay (default: every bank the log declares)");
    replay->add_flag("--no-dynamic-launch", o->no_dynamic_launch,
                     "Start PCR 17-22 at all-FF (no launch happened) instead of zero");
    replay->callback([o] {
        auto log = load(*o);
        auto r = do_replay(log, *o);
        if (o->json)
            print_json(eventlog::to_json(r));
        else
            print_replay_text(r);
    });

    auto* trim = cmd->add_subcommand(
        "trim", "Write the log without its zero padding (for tools such as tpm2_eventlog)");
    trim->add_option("FILE", o->file, "Event log")->required();
    trim->add_option("--format", o->format, "Input format: " + formats)->capture_default_str();
    trim->add_option("--out", o->out, "Output file")->required();
    trim->callback([o] {
        auto log = load(*o);
        auto bytes = log.log_bytes();
        binary::write_file_atomic(o->out, bytes);
        progress("wrote " + std::to_string(bytes.size()) + " bytes to " + o->out);
    });

    auto* verify = cmd->add_subcommand(
        "verify",
        "Replay the log and compare with a TPM (--tcti) or recorded values (--pcrs-json)");
    common(verify);
    auto* tcti = verify->add_option("--tcti", o->tcti,
                                    "TPM to compare with (device:/dev/tpmrm0, swtpm:path=...; "
                                    "default without FILE: the running system's /dev/tpmrm0)");
    verify
        ->add_option("--pcrs-json", o->pcrs_json,
                     "JSON file with {\"pcrs\": {\"sha256\": {\"17\": hex}}}")
        ->check(CLI::ExistingFile)
        ->excludes(tcti);
    verify->add_option("--banks", o->banks,
                       "Banks to compare (default: every bank the log declares)");
    verify->add_flag("--no-dynamic-launch", o->no_dynamic_launch, "Start PCR 17-22 at all-FF");
    verify->callback([o] {
        if (o->tcti.empty() && o->pcrs_json.empty()) {
            // The running system's log is checked against the running system's TPM.
            if (!o->file.empty())
                throw CLI::ValidationError("verify", "give --tcti TCTI or --pcrs-json FILE");
            o->tcti = "device:" +
                      host::SystemRoot::from_environment(o->root).path("/dev/tpmrm0").string();
        }
        auto log = load(*o);
        auto r = do_replay(log, *o);
        eventlog::PcrValues actual;
        if (!o->tcti.empty()) {
            // Only what the log touches is compared: other PCRs hold
            // measurements from outside this log.
            std::vector<crypto::HashAlg> banks;
            for (const auto& b : r.banks) banks.push_back(b.alg);
            tpm::Tpm t(o->tcti);
            auto allocated = t.allocated_banks();
            std::erase_if(banks, [&](crypto::HashAlg b) {
                return std::find(allocated.begin(), allocated.end(), b) == allocated.end();
            });
            // After a dynamic launch all of 17-22 are defined (zero unless
            // extended), so they are compared even when the log leaves them alone.
            auto pcrs = r.touched_pcrs();
            if (r.dynamic_launch)
                for (std::uint32_t p = 17; p <= 22; ++p)
                    if (std::find(pcrs.begin(), pcrs.end(), p) == pcrs.end()) pcrs.push_back(p);
            std::sort(pcrs.begin(), pcrs.end());
            auto values = t.read_pcrs(banks, pcrs);
            actual.insert(values.begin(), values.end());
        } else {
            auto bytes = binary::read_file(o->pcrs_json);
            auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
            actual = eventlog::pcr_values_from_json(j.contains("pcrs") ? j["pcrs"] : j);
        }
        auto c = eventlog::compare(r, actual);
        if (o->json) {
            auto j = eventlog::to_json(c);
            j["ok"] = c.ok();
            print_json(j);
        } else {
            for (const auto& m : c.mismatches) {
                std::cout << "MISMATCH " << crypto::alg_name(m.bank) << " PCR " << m.pcr << ": "
                          << m.reason << "\n"
                          << "  log replays to " << binary::to_hex(m.expected) << "\n"
                          << "  actual value   " << binary::to_hex(m.actual) << "\n"
                          << "  events extended: " << m.events.size()
                          << ", events skipped: " << m.skipped.size() << "\n";
            }
            for (const auto& n : c.notes) std::cout << "note: " << n << "\n";
            std::cout << (c.ok() ? "OK" : "FAILED") << ": " << c.matched.size()
                      << " PCR values match, " << c.mismatches.size() << " differ";
            if (!c.unchecked.empty()) std::cout << ", " << c.unchecked.size() << " not checked";
            std::cout << "\n";
        }
        if (!c.ok()) throw CLI::RuntimeError(1);
    });
}

}  // namespace drtm::cli
