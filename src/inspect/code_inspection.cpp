#include "inspect/code_inspection.hpp"

#include <algorithm>
#include <map>

namespace drtm::inspect {

namespace {

// Adds `part` (covering a sub-range) to `total`.
void merge(CodeComparison& total, const CodeComparison& part) {
    total.bytes_compared += part.bytes_compared;
    total.bytes_differing += part.bytes_differing;
    total.bytes_unexplained += part.bytes_unexplained;
    total.pages += part.pages;
    total.pages_identical_raw += part.pages_identical_raw;
    total.unexplained.insert(total.unexplained.end(), part.unexplained.begin(),
                             part.unexplained.end());
}

nlohmann::json to_json(const CodeComparison& c) {
    nlohmann::json regions = nlohmann::json::array();
    for (const auto& r : c.unexplained)
        regions.push_back({{"address", binary::hex_number(r.address)},
                           {"symbol", r.symbol},
                           {"expected", binary::to_hex(r.expected)},
                           {"found", binary::to_hex(r.found)},
                           {"note", r.note}});
    return {
        {"bytes_compared", c.bytes_compared},           {"bytes_differing_raw", c.bytes_differing},
        {"bytes_unexplained", c.bytes_unexplained},     {"pages", c.pages},
        {"pages_identical_raw", c.pages_identical_raw}, {"unexplained", regions}};
}

}  // namespace

void compare_with_golden(const GoldenCode& golden, PausedCopy copy, CodeInspection& r,
                         const GuestFacts& facts) {
    const auto virtual_delta = facts.virtual_delta;
    const auto& text = golden.text();
    const auto& rodata = golden.rodata();
    r.pause = copy.pause;
    r.cr3 = copy.vcpus.empty() ? 0 : copy.vcpus.front().paging.cr3;
    r.vcpus = copy.vcpus.size();
    r.vcpus_paging = static_cast<std::size_t>(std::count_if(
        copy.vcpus.begin(), copy.vcpus.end(), [](const auto& v) { return v.paging.paging; }));
    r.mapping_problem = std::move(copy.mapping_problem);
    r.write_protect_problems = std::move(copy.write_protect_problems);
    auto symbolize = [&](std::uint64_t va) { return golden.symbols().symbolize(va); };
    // Only sites holding their golden bytes or a form the image's patching
    // code writes explain differences; the others are reported like any
    // changed byte.
    const auto golden_text = golden.text_bytes();
    const auto sites = validate_sites(golden_text, copy.text, text.addr, golden.sites(),
                                      golden.site_forms(), facts.pointers, facts.static_keys);
    r.sites_changed = sites.changed;
    r.sites_rejected = sites.rejected.size();
    r.text = compare_code(golden_text, copy.text, text.addr, sites.allowed, symbolize);
    report_unseen_refused_sites(r.text, golden_text, copy.text, text.addr, sites.rejected,
                                symbolize);
    note_rejected_sites(r.text, sites.rejected, sites.reasons);
    if (r.text.pages_identical_raw == 0)
        throw std::runtime_error("no page of the golden .text is at physical " +
                                 binary::hex_number(r.text_physical) +
                                 ": the guest runs another image");

    // .rodata without the ro_after_init window written at boot.
    const auto golden_ro = golden.rodata_bytes();
    const binary::ByteView found_ro(copy.rodata);
    auto offset_of = [&](std::uint64_t va) -> std::size_t {
        return va > rodata.addr ? std::min(va - rodata.addr, rodata.size) : 0;
    };
    const std::size_t a = offset_of(golden.ro_after_init_start());
    const std::size_t b = std::max(a, offset_of(golden.ro_after_init_end()));
    merge(r.rodata,
          compare_code(golden_ro.first(a), found_ro.first(a), rodata.addr, {}, symbolize));
    merge(r.rodata,
          compare_code(golden_ro.subspan(b), found_ro.subspan(b), rodata.addr + b, {}, symbolize));
    // Inside the window, what can be checked of what the boot wrote there.
    // A problem keeps its found bytes in the measurement, where the rest of
    // the window gets the golden ones.
    std::vector<std::pair<std::size_t, binary::Bytes>> keep_found;
    auto report = [&](CodeComparison& part, std::uint64_t address, std::size_t size,
                      std::string symbol, bool show_expected, std::string note) {
        const std::size_t offset = std::min<std::uint64_t>(address - rodata.addr, found_ro.size());
        size = std::min(size, found_ro.size() - offset);
        const auto found = found_ro.subspan(offset, size);
        keep_found.emplace_back(offset, binary::Bytes(found.begin(), found.end()));
        part.bytes_differing += size;
        part.bytes_unexplained += size;
        if (part.unexplained.size() >= 64) return;
        binary::Bytes expected;
        if (show_expected)
            expected.assign(golden_ro.begin() + static_cast<std::ptrdiff_t>(offset),
                            golden_ro.begin() + static_cast<std::ptrdiff_t>(offset + size));
        part.unexplained.push_back({address, std::move(symbol), std::move(expected),
                                    binary::Bytes(found.begin(), found.end()), std::move(note)});
    };
    // The tables sorted at boot: the golden entries in the kernel's order.
    for (const auto& t : golden.boot_sorted_tables()) {
        if (t.start < rodata.addr + a || t.end > rodata.addr + b || t.end <= t.start) continue;
        const std::size_t from = t.start - rodata.addr, size = t.end - t.start;
        CodeComparison part;
        part.bytes_compared = size;
        for (const auto& problem : check_boot_sorted_table(golden_ro.subspan(from, size),
                                                           found_ro.subspan(from, size), t))
            report(part, problem.address, t.entry_size,
                   t.name + "+" + binary::hex_number(problem.address - t.start), false,
                   "an entry of a table sorted at boot: " + problem.what);
        r.tables_compared.push_back(t.name);
        merge(r.rodata, part);
    }
    const auto window_golden = golden_ro.subspan(a, b - a);
    const auto window_found = found_ro.subspan(a, b - a);
    CodePointerRules rules;
    for (const auto& t : golden.boot_sorted_tables()) rules.skip.emplace_back(t.start, t.end);
    // Linux's LSM hook lists: exactly the image's hooks, registered whole.
    if (const auto& lsm = golden.lsm_hooks()) {
        r.lsm_hooks =
            check_lsm_hooks(*lsm, window_found, rodata.addr + a, virtual_delta, symbolize);
        CodeComparison part;
        part.bytes_compared =
            (lsm->heads_end - lsm->heads_start) + kLsmHookSize * lsm->nodes.size();
        for (const auto& problem : r.lsm_hooks->problems)
            report(part, problem.address, problem.size, symbolize(problem.address), true,
                   problem.what);
        merge(r.rodata, part);
        // Held to more than the code-pointer rule below.
        rules.skip.emplace_back(lsm->heads_start, lsm->heads_end);
        for (const auto& n : lsm->nodes)
            rules.skip.emplace_back(n.address, n.address + kLsmHookSize);
    }
    // The rest of the window: its code pointers.
    rules.text_start = text.addr;
    rules.text_end = text.addr + text.size;
    rules.is_function = [&](std::uint64_t va) { return golden.site_forms().is_function(va); };
    rules.symbolize = symbolize;
    rules.virtual_delta = virtual_delta;
    rules.relocated = golden.relocated_words();
    rules.loaded_later = golden.loaded_later();
    r.code_pointers = check_code_pointers(window_golden, window_found, rodata.addr + a, rules);
    {
        CodeComparison part;
        part.bytes_compared = 8 * r.code_pointers.code_pointers;
        for (const auto& problem : r.code_pointers.problems)
            report(part, problem.address, 8, symbolize(problem.address), true,
                   "a code pointer written after boot: " + problem.what);
        merge(r.rodata, part);
    }

    restore_patch_sites(golden_text, copy.text, text.addr, sites.allowed);
    std::copy(golden_ro.begin() + static_cast<std::ptrdiff_t>(a),
              golden_ro.begin() + static_cast<std::ptrdiff_t>(b),
              copy.rodata.begin() + static_cast<std::ptrdiff_t>(a));
    for (const auto& [offset, bytes] : keep_found)
        std::copy(bytes.begin(), bytes.end(),
                  copy.rodata.begin() + static_cast<std::ptrdiff_t>(offset));
    r.text_normalised = std::move(copy.text);
    r.rodata_normalised = std::move(copy.rodata);
}

std::string findings_text(const CodeInspection& r) {
    std::string out;
    for (const auto& [name, c] : {std::pair{"text", &r.text}, std::pair{"rodata", &r.rodata}}) {
        std::uint64_t listed = 0;
        for (const auto& region : c->unexplained) {
            out += std::string(name) + " " + binary::hex_number(region.address) + " " +
                   region.symbol + ": " + (region.note.empty() ? "changed" : region.note) + "\n";
            listed += std::max(region.found.size(), region.expected.size());
        }
        if (c->bytes_unexplained > listed)
            out += std::string(name) + ": " + std::to_string(c->bytes_unexplained - listed) +
                   " more bytes unexplained\n";
    }
    if (!r.mapping_problem.empty()) out += "page tables: " + r.mapping_problem + "\n";
    for (const auto& vcpu : r.write_protect_problems) out += vcpu + "\n";
    for (const auto& gate : r.idt_problems) out += gate + "\n";
    for (const auto& check : r.not_judged) out += "not judged: " + check + "\n";
    return out;
}

nlohmann::json to_json(const CodeInspection& r, const GoldenCode& golden) {
    std::map<std::string, std::size_t> kinds;
    for (const auto& s : golden.sites()) ++kinds[patch_kind_name(s.kind)];
    return {
        {"verdict", r.intact() ? "intact" : "modified"},
        {"build_id", golden.build_id()},
        {"text_physical", binary::hex_number(r.text_physical)},
        {"page_tables",
         {{"cr3", binary::hex_number(r.cr3)},
          {"vcpus", r.vcpus},
          {"maps_the_copy", r.mapping_problem.empty()},
          {"problem", r.mapping_problem}}},
        {"idt",
         {{"gates_checked", r.idt_gates ? nlohmann::json(*r.idt_gates) : nlohmann::json()},
          {"idtr_vcpus_checked",
           r.idtrs_checked ? nlohmann::json(*r.idtrs_checked) : nlohmann::json()},
          {"tss_vcpus_checked", r.tss_checked ? nlohmann::json(*r.tss_checked) : nlohmann::json()},
          {"problems", r.idt_problems}}},
        {"write_protect",
         {{"vcpus_checked", r.vcpus_paging}, {"problems", r.write_protect_problems}}},
        {"pause_ms",
         {{"window", r.pause.window_ms},
          {"stop", r.pause.stop_ms},
          {"copy", r.pause.copy_ms},
          {"cont", r.pause.cont_ms},
          {"realtime", r.pause.realtime},
          {"cpus_polling", r.pause.cpus_polling}}},
        {"patch_sites", kinds},
        {"patch_sites_changed", r.sites_changed},
        {"patch_sites_rejected", r.sites_rejected},
        {"not_judged", r.not_judged},
        {"ro_after_init_tables_compared", r.tables_compared},
        {"ro_after_init_code_pointers",
         {{"words", r.code_pointers.words},
          {"code_pointers", r.code_pointers.code_pointers},
          {"set_at_boot", r.code_pointers.set_at_boot},
          {"refused", r.code_pointers.problems.size()}}},
        {"lsm_hooks", r.lsm_hooks
                          ? nlohmann::json{{"hooks", r.lsm_hooks->hooks},
                                           {"registered", r.lsm_hooks->registered},
                                           {"lists", r.lsm_hooks->lists},
                                           {"registered_arrays", r.lsm_hooks->registered_arrays},
                                           {"lsms", lsm_set(r.lsm_hooks->registered_arrays)},
                                           {"refused", r.lsm_hooks->problems.size()}}
                          : nlohmann::json(nullptr)},
        {"text", to_json(r.text)},
        {"rodata", to_json(r.rodata)}};
}

}  // namespace drtm::inspect
