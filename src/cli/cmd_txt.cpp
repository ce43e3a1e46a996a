// drtm txt status: the Intel TXT public registers and heap tables of the
// running machine (securityfs slaunch/txt/* or /dev/mem), decoded.
#include <iomanip>
#include <iostream>
#include <memory>

#include "binary/bytes.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "eventlog/txt_heap_tables.hpp"
#include "host/loader_os_mle.hpp"
#include "host/running_txt_heap.hpp"
#include "host/txt_register_decode.hpp"
#include "host/txt_registers.hpp"

namespace drtm::cli {

namespace {

struct TxtOptions {
    std::string root;
    bool json = false;
};

std::string hex(std::uint64_t v, int digits = 0) {
    return binary::hex_padded(v, digits);
}

struct HeapReport {
    std::optional<host::RunningTxtHeap> heap;
    std::optional<eventlog::TxtHeapTables> tables;
    std::string problem;  // why there is no heap
};

HeapReport read_heap(const host::SystemRoot& root) {
    HeapReport r;
    try {
        host::PhysicalMemoryDevice mem(root.path("/dev/mem"));
        r.heap = host::read_running_txt_heap(mem);
        r.tables = binary::in_file(r.heap->location, [&] {
            return eventlog::decode_txt_heap_tables(r.heap->bytes, r.heap->info);
        });
    } catch (const std::exception& e) {
        // The registers are still worth printing on a machine whose heap is
        // absent, oversized or damaged: that is where TXT gets diagnosed.
        r.heap.reset();
        r.tables.reset();
        r.problem = e.what();
    }
    return r;
}

nlohmann::json registers_json(const std::vector<host::DecodedRegister>& regs) {
    auto a = nlohmann::json::array();
    for (const auto& d : regs) {
        nlohmann::json fields = nlohmann::json::object();
        for (const auto& f : d.fields) fields[f.name] = f.value;
        a.push_back({{"name", d.raw.name},
                     {"offset", hex(d.raw.offset, 3)},
                     {"value", hex(d.raw.value, static_cast<int>(d.raw.width / 4))},
                     {"fields", fields},
                     {"meaning", d.meaning}});
    }
    return a;
}

void print_tables(const host::RunningTxtHeap& h, const eventlog::TxtHeapTables& t) {
    const auto& info = h.info;
    std::cout << "TXT heap (" << h.location << "):\n";
    const auto& b = t.bios_data;
    std::cout << "  BiosData      version " << b.version << ", " << info.bios_data.size
              << " bytes: SINIT size " << hex(b.bios_sinit_size) << ", LCP PD "
              << hex(b.lcp_pd_base) << " + " << hex(b.lcp_pd_size) << ", "
              << b.num_logical_processors << " logical processors";
    if (b.sinit_flags) std::cout << ", flags " << hex(*b.sinit_flags) << "/" << hex(*b.mle_flags);
    std::cout << "\n";
    std::cout << "  OsMleData     " << info.os_mle_data.size << " bytes";
    if (auto m = host::secure_launch_os_mle(h.bytes, info)) {
        std::cout << ": Secure Launch layout " << host::os_mle_layout_name(m->layout)
                  << " (by its size), version " << m->version << ", SLRT " << hex(m->slrt);
        if (m->boot_params_addr) std::cout << ", boot params " << hex(m->boot_params_addr);
        std::cout << ", TXT info " << hex(m->txt_info) << ", AP wake block "
                  << hex(m->ap_wake_block) << " + " << hex(m->ap_wake_block_size) << "\n";
    } else {
        std::cout << " (not a Secure Launch layout: the loader's own, e.g. tboot's)\n";
    }
    const auto& o = t.os_sinit_data;
    std::cout << "  OsSinitData   version " << o.version << ", " << info.os_sinit_data.size
              << " bytes: MLE page tables " << hex(o.mle_page_table_base) << ", MLE size "
              << hex(o.mle_size) << ", MLE header " << hex(o.mle_header_base) << "\n"
              << "                PMR low " << hex(o.pmr_low_base) << " + " << hex(o.pmr_low_size)
              << ", PMR high " << hex(o.pmr_high_base) << " + " << hex(o.pmr_high_size)
              << ", LCP PO " << hex(o.lcp_po_base) << " + " << hex(o.lcp_po_size) << "\n"
              << "                capabilities " << hex(o.capabilities);
    auto caps = eventlog::os_sinit_capability_names(o.capabilities);
    for (std::size_t i = 0; i < caps.size(); ++i) std::cout << (i ? ", " : " (") << caps[i];
    if (!caps.empty()) std::cout << ")";
    std::cout << "\n                elements:";
    for (const auto& e : info.os_sinit_elements)
        std::cout << " " << eventlog::heap_element_name(e.type);
    std::cout << "\n";
    if (info.log_pointer)
        std::cout << "  DRTM log      PhysicalAddress " << hex(info.log_pointer->physical_address)
                  << ", allocated " << hex(info.log_pointer->allocated_size) << ", records "
                  << hex(info.log_pointer->first_record_offset) << "-"
                  << hex(info.log_pointer->next_record_offset) << "\n";
    if (t.sinit_mle_data) {
        const auto& s = *t.sinit_mle_data;
        std::cout << "  SinitMleData  version " << s.version << ", " << info.sinit_mle_data.size
                  << " bytes: RLP wake-up " << hex(s.rlp_wakeup_address) << ", VT-d DMAR "
                  << s.vtd_dmar_size << " bytes at " << hex(s.vtd_dmar_offset);
        if (s.processor_scrtm_status)
            std::cout << ", processor S-CRTM status " << hex(*s.processor_scrtm_status);
        std::cout << "\n                " << s.mdrs.size() << " memory descriptor records:\n";
        for (const auto& m : s.mdrs)
            std::cout << "                  " << hex(m.base, 16) << " - "
                      << hex(m.base + m.length, 16) << "  " << eventlog::mdr_type_name(m.type)
                      << "\n";
    }
    for (const auto& n : info.notes) std::cout << "  note: " << n << "\n";
    for (const auto& n : t.notes) std::cout << "  note: " << n << "\n";
}

}  // namespace

void register_txt(CLI::App& app) {
    auto* cmd = app.add_subcommand("txt", "Intel TXT state of the running machine");
    cmd->require_subcommand(1);
    auto o = std::make_shared<TxtOptions>();
    auto* status = cmd->add_subcommand(
        "status",
        "Show the TXT public registers (securityfs slaunch/txt, else /dev/mem) and the TXT heap "
        "tables, decoded");
    status->add_option("--root", o->root,
                       "Read the running system under this directory instead of / (default: "
                       "$DRTM_ROOT)");
    status->add_flag("--json", o->json, "Print JSON");
    status->callback([o] {
        const auto root = host::SystemRoot::from_environment(o->root);
        const auto regs = host::read_txt_registers(root);
        const auto decoded = host::decode_txt_registers(regs);
        const auto heap = read_heap(root);
        if (o->json) {
            nlohmann::json j;
            j["source"] = regs.source;
            j["registers"] = registers_json(decoded);
            if (regs.heap_base) j["heap_base"] = hex(*regs.heap_base);
            if (regs.heap_size) j["heap_size"] = hex(*regs.heap_size);
            j["notes"] = regs.notes;
            if (heap.heap) {
                auto tables = eventlog::to_json(*heap.tables);
                tables["location"] = heap.heap->location;
                if (const auto& p = heap.heap->info.log_pointer)
                    tables["log_pointer"] = {{"physical_address", hex(p->physical_address)},
                                             {"allocated_size", p->allocated_size},
                                             {"first_record_offset", p->first_record_offset},
                                             {"next_record_offset", p->next_record_offset}};
                tables["heap_notes"] = heap.heap->info.notes;
                if (auto m = host::secure_launch_os_mle(heap.heap->bytes, heap.heap->info))
                    tables["os_mle_data"] = {{"layout", host::os_mle_layout_name(m->layout)},
                                             {"version", m->version},
                                             {"boot_params_address", m->boot_params_addr},
                                             {"slrt_address", m->slrt},
                                             {"txt_info_address", m->txt_info},
                                             {"ap_wake_block", m->ap_wake_block},
                                             {"ap_wake_block_size", m->ap_wake_block_size}};
                else
                    tables["os_mle_data"] = {{"layout", "unknown"},
                                             {"size", heap.heap->info.os_mle_data.size}};
                j["heap"] = tables;
            } else {
                j["heap_problem"] = heap.problem;
            }
            print_json(j);
            return;
        }
        std::cout << "TXT registers (" << regs.source << "):\n";
        for (const auto& d : decoded) {
            std::cout << "  " << std::left << std::setw(18) << d.raw.name << " " << std::setw(20)
                      << hex(d.raw.value, static_cast<int>(d.raw.width / 4)) << std::right << " "
                      << d.meaning << "\n";
            if (!d.fields.empty()) {
                std::cout << "      ";
                for (const auto& f : d.fields) std::cout << " " << f.name << "=" << f.value;
                std::cout << "\n";
            }
        }
        if (regs.heap_base)
            std::cout << "  TXT.HEAP.BASE      " << hex(*regs.heap_base, 16) << "\n"
                      << "  TXT.HEAP.SIZE      " << hex(*regs.heap_size, 16) << "\n";
        for (const auto& n : regs.notes) std::cout << "  note: " << n << "\n";
        if (heap.heap)
            print_tables(*heap.heap, *heap.tables);
        else
            std::cout << "TXT heap not read: " << heap.problem << "\n";
    });
}

}  // namespace drtm::cli
