#include "inspect/linux_inspector.hpp"

#include <algorithm>
#include <chrono>

#include "image/vmlinux.hpp"
#include "inspect/guest_page_tables.hpp"

namespace drtm::inspect {

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

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

// .text and .rodata at their runtime addresses must map onto the copies.
// Under page-table isolation CR3 may hold the user half of the pair (bit 12
// set); the kernel half is checked then.
std::string check_kernel_mapping(const GuestMemory& ram, std::uint64_t cr3,
                                 const image::ElfSection& text, const image::ElfSection& rodata,
                                 const LinuxPlacement& p) {
    auto check = [&](std::uint64_t root) {
        const auto delta = static_cast<std::uint64_t>(p.virtual_delta);
        auto problem = check_mapping(ram, root, text.addr + delta, p.text_physical, text.size);
        if (problem.empty())
            problem = check_mapping(ram, root, rodata.addr + delta,
                                    p.text_physical + (rodata.addr - text.addr), rodata.size);
        return problem;
    };
    auto problem = check(cr3);
    if (!problem.empty() && (cr3 & 0x1000) && check(cr3 & ~0x1000ull).empty()) return "";
    return problem.empty()
               ? ""
               : "the vCPU's page tables (CR3 " + binary::hex_number(cr3) + "): " + problem;
}

}  // namespace

std::unique_ptr<LinuxGolden> LinuxGolden::from_bzimage(binary::ByteView bzimage) {
    std::unique_ptr<LinuxGolden> g(new LinuxGolden);
    auto vmlinux = image::extract_vmlinux(bzimage);
    g->elf_bytes_ = std::move(vmlinux.elf);
    if (!vmlinux.relocations.empty())
        g->relocations_ = image::parse_x86_relocations(vmlinux.relocations);
    g->elf_ = image::ElfImage::parse(g->elf_bytes_);
    g->symbols_ = std::make_unique<image::KernelSymbols>(image::decode_kallsyms(g->elf_));
    g->sites_ = linux_patch_sites(g->elf_, *g->symbols_);
    g->site_forms_ = std::make_unique<SiteFormChecker>(g->elf_, *g->symbols_);
    return g;
}

std::string LinuxGolden::build_id() const {
    auto id = elf_.build_id();
    return id ? binary::to_hex(*id) : "";
}

LinuxInspection inspect_linux(const LinuxGolden& golden, const GuestMemory& ram, QmpClient& qmp) {
    const auto& elf = golden.elf();
    const auto* text = elf.section(".text");
    const auto* rodata = elf.section(".rodata");
    if (!text || !rodata) throw std::runtime_error("the golden kernel has no .text or .rodata");
    LinuxInspection r;
    // Before the pause: the kernel does not move while it runs.
    r.placement = locate_linux(golden, ram);
    r.text_physical = r.placement.text_physical;
    const std::uint64_t rodata_physical = r.text_physical + (rodata->addr - text->addr);

    // Buffers and the guest's pages are touched before the pause, so the
    // copy does not fault.
    binary::Bytes text_copy(text->size), rodata_copy(rodata->size);
    ram.prefault(r.text_physical, text->size);
    ram.prefault(rodata_physical, rodata->size);
    // Someone else's pause is not ours to end.
    if (qmp.status() != "running")
        throw std::runtime_error("the guest is not running (QMP status '" + qmp.status() +
                                 "'); inspect it once it runs");
    const auto t0 = Clock::now();
    try {
        qmp.stop();
    } catch (...) {
        try {
            qmp.cont();  // in case QEMU acted on the stop after all
        } catch (...) {
        }
        throw;
    }
    const auto t1 = Clock::now();
    try {
        ram.copy(r.text_physical, text->size, text_copy, 2);
        ram.copy(rodata_physical, rodata->size, rodata_copy, 2);
        // While paused: what the vCPU executes is what was copied.
        r.cr3 = parse_cr3(qmp.execute("human-monitor-command", {{"command-line", "info registers"}})
                              .get<std::string>());
        r.mapping_problem = check_kernel_mapping(ram, r.cr3, *text, *rodata, r.placement);
    } catch (...) {
        qmp.cont();
        throw;
    }
    const auto t2 = Clock::now();
    qmp.cont();
    const auto t3 = Clock::now();
    r.pause = {ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), ms(t3 - t0)};

    undo_relocations(text_copy, text->addr, r.placement.virtual_delta, golden.relocations());
    undo_relocations(rodata_copy, rodata->addr, r.placement.virtual_delta, golden.relocations());
    auto symbolize = [&](std::uint64_t va) { return golden.symbols().symbolize(va); };
    // Only sites holding their golden bytes or a form the kernel writes
    // explain differences; the others are reported like any changed byte.
    const auto sites = validate_sites(elf.contents(*text), text_copy, text->addr, golden.sites(),
                                      golden.site_forms());
    r.sites_changed = sites.changed;
    r.sites_rejected = sites.rejected.size();
    r.text = compare_code(elf.contents(*text), text_copy, text->addr, sites.allowed, symbolize);
    note_rejected_sites(r.text, sites.rejected);
    if (r.text.pages_identical_raw == 0)
        throw std::runtime_error("no page of the golden .text is at physical " +
                                 binary::hex_number(r.text_physical) +
                                 ": the guest runs another kernel");

    // .rodata without the ro_after_init window the kernel fills at boot.
    const auto ro_start = golden.symbols().require("__start_ro_after_init");
    const auto ro_end = golden.symbols().require("__end_ro_after_init");
    const auto golden_ro = elf.contents(*rodata);
    const binary::ByteView found_ro(rodata_copy);
    const std::size_t a =
        ro_start > rodata->addr ? std::min(ro_start - rodata->addr, rodata->size) : 0;
    const std::size_t b = ro_end > rodata->addr ? std::min(ro_end - rodata->addr, rodata->size) : 0;
    merge(r.rodata,
          compare_code(golden_ro.first(a), found_ro.first(a), rodata->addr, {}, symbolize));
    merge(r.rodata,
          compare_code(golden_ro.subspan(b), found_ro.subspan(b), rodata->addr + b, {}, symbolize));

    restore_patch_sites(elf.contents(*text), text_copy, text->addr, sites.allowed);
    std::copy(golden_ro.begin() + static_cast<std::ptrdiff_t>(a),
              golden_ro.begin() + static_cast<std::ptrdiff_t>(std::max(a, b)),
              rodata_copy.begin() + static_cast<std::ptrdiff_t>(a));
    r.text_normalised = std::move(text_copy);
    r.rodata_normalised = std::move(rodata_copy);
    return r;
}

nlohmann::json to_json(const LinuxInspection& r, const LinuxGolden& golden) {
    std::map<std::string, std::size_t> kinds;
    for (const auto& s : golden.sites()) ++kinds[patch_kind_name(s.kind)];
    return {{"verdict", r.intact() ? "intact" : "modified"},
            {"kernel_build_id", golden.build_id()},
            {"text_physical", binary::hex_number(r.text_physical)},
            {"page_tables",
             {{"cr3", binary::hex_number(r.cr3)},
              {"maps_the_copy", r.mapping_problem.empty()},
              {"problem", r.mapping_problem}}},
            {"kaslr",
             {{"virtual_offset",
               binary::hex_number(static_cast<std::uint64_t>(r.placement.virtual_delta))},
              {"relocation_fields_agreeing", r.placement.delta_votes},
              {"relocation_fields_read", r.placement.delta_voters}}},
            {"pause_ms",
             {{"window", r.pause.window_ms},
              {"stop", r.pause.stop_ms},
              {"copy", r.pause.copy_ms},
              {"cont", r.pause.cont_ms}}},
            {"patch_sites", kinds},
            {"patch_sites_changed", r.sites_changed},
            {"patch_sites_rejected", r.sites_rejected},
            {"text", to_json(r.text)},
            {"rodata", to_json(r.rodata)}};
}

}  // namespace drtm::inspect
