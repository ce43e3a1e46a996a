// drtm inspect: pause a running guest (drtm vm run), copy its kernel's code,
// resume it, compare the copy with the golden kernel image, and measure the
// inspection into the guest's TPM (a dynamic launch of the inspector, then
// the golden image and the normalised code), optionally quoted as evidence.
// A Xen guest's hypervisor (--xen) and dom0 (--kernel) are inspected one
// after the other, each in its own pause, and measured in one launch.
// `--predict` gives the PCRs an intact guest's inspection produces.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <optional>

#include "attest/attester_keys.hpp"
#include "attest/evidence.hpp"
#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "inspect/inspection_measurement.hpp"
#include "inspect/linux_inspector.hpp"
#include "inspect/lsm_hook_lists.hpp"
#include "inspect/xen_frame_table.hpp"
#include "inspect/xen_inspector.hpp"
#include "launch/launcher.hpp"
#include "service/agent.hpp"

namespace drtm::cli {

namespace {

namespace fs = std::filesystem;

struct InspectOptions {
    std::string vm, kernel, xen, log, keys, nonce, evidence, inspector, verifier, identity, lsms;
    bool json = false, predict = false, no_measure = false, dom0 = false;
};

// A golden image and what it is the golden of.
struct Golden {
    std::string role;  // "xen", "dom0" or "kernel"
    binary::Bytes file;
    std::unique_ptr<inspect::GoldenCode> code;
};

// The golden images, in the order they are inspected and measured: xen-syms
// (--xen), then the bzImage (--kernel), which in a guest `drtm vm run
// --xen` started is Xen's PV dom0.
std::vector<Golden> load_goldens(const InspectOptions& o, bool under_xen) {
    std::vector<Golden> goldens;
    if (!o.xen.empty()) {
        progress("reading the golden hypervisor " + o.xen);
        Golden g{"xen", binary::read_file(o.xen), nullptr};
        g.code = binary::in_file(o.xen, [&] { return inspect::XenGolden::from_xen_syms(g.file); });
        goldens.push_back(std::move(g));
    }
    if (!o.kernel.empty()) {
        const auto platform =
            under_xen ? inspect::LinuxPlatform::xen_pv : inspect::LinuxPlatform::native;
        progress(std::string("reading the golden ") + (under_xen ? "dom0 kernel " : "kernel ") +
                 o.kernel);
        Golden g{under_xen ? "dom0" : "kernel", binary::read_file(o.kernel), nullptr};
        g.code = binary::in_file(
            o.kernel, [&] { return inspect::LinuxGolden::from_bzimage(g.file, platform); });
        goldens.push_back(std::move(g));
    }
    return goldens;
}

binary::Bytes inspector_digest(const std::string& inspector) {
    return inspector.empty() ? inspect::inspector_sha256() : inspect::inspector_sha256(inspector);
}

// The SHA-256 bank of a measurement's JSON ({"17": hex, ...}).
void print_pcrs(const nlohmann::json& measurement) {
    for (const auto& [pcr, value] : measurement["pcrs"]["sha256"].items())
        std::cout << "  PCR " << pcr << " sha256 " << value.get<std::string>() << "\n";
}

// --lsms "apparmor,capability yama": names split at commas and white space.
std::vector<std::string> split_lsms(const std::string& text) {
    std::vector<std::string> names;
    std::string name;
    for (char c : text + ",") {
        if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
            if (!name.empty()) names.push_back(std::move(name));
            name.clear();
        } else {
            name += c;
        }
    }
    return names;
}

// Every LSM named must be one the golden kernel has hooks for: a typo
// would give a prediction no guest matches.
void require_lsms_of(const std::string& lsms, const inspect::LsmHooks& hooks,
                     const std::string& role) {
    std::vector<std::string> arrays;
    for (const auto& [start, name] : hooks.arrays) arrays.push_back(name);
    const auto known = inspect::lsm_set(arrays);
    const std::string padded = " " + known + " ";
    std::string name;
    for (char c : lsms + " ") {
        if (c != ' ') {
            name += c;
            continue;
        }
        if (!name.empty() && padded.find(" " + name + " ") == std::string::npos)
            throw CLI::ValidationError(
                "--lsms", "'" + name + "' is no LSM the golden " + (role == "dom0" ? "dom0 " : "") +
                              "kernel has hooks for (it has: " + known + ")");
        name.clear();
    }
}

void run_predict(const InspectOptions& o) {
    const auto goldens = load_goldens(o, !o.xen.empty() || o.dom0);
    inspect::InspectionSubject subject{inspector_digest(o.inspector), {}};
    const auto lsms = inspect::lsm_set(split_lsms(o.lsms));
    if (!o.lsms.empty() && lsms.empty()) throw CLI::ValidationError("--lsms", "names no LSM");
    bool lsms_used = false;
    for (const auto& g : goldens) {
        inspect::InspectedImage image{g.code->inspection_rules(), g.file,
                                      g.code->build_id(),         g.code->text_bytes(),
                                      g.code->rodata_bytes(),     ""};
        // PCR 20 holds the LSMs a kernel whose hook lists are judged runs.
        if (const auto& hooks = g.code->lsm_hooks()) {
            require_lsms_of(lsms, *hooks, g.role);
            image.lsms = lsms;
            image.lsms_unknown = lsms.empty();
            lsms_used = lsms_used || !lsms.empty();
        }
        subject.images.push_back(std::move(image));
    }
    if (!lsms.empty() && !lsms_used)
        throw CLI::ValidationError("--lsms",
                                   "names the LSMs of a Linux kernel whose LSM hook "
                                   "lists drtm judges; no golden image given has them");
    const auto m = inspect::to_json(inspect::predict_inspection(subject));
    // Said on stderr in both modes: a policy built from this prediction
    // does not hold PCR 20.
    if (m.contains("unpredicted_pcrs"))
        std::cerr << "note: PCR 20 is not predicted (nor held by a policy made from this): it "
                     "holds the LSMs the guest runs; name them with --lsms (an inspection "
                     "reports them as lsm_hooks.lsms)\n";
    if (o.json) return print_json(m);
    std::cout << "an intact guest's inspection gives:\n";
    print_pcrs(m);
}

void print_report(const inspect::CodeInspection& result, const inspect::GoldenCode& golden,
                  const nlohmann::json& report) {
    // Two decimals: the window is read in tens of microseconds (JSON keeps them all).
    const auto ms = [](double v) {
        char text[32];
        std::snprintf(text, sizeof text, "%.2f", v);
        return std::string(text);
    };
    std::cout << "verdict: " << report["verdict"].get<std::string>() << "\n"
              << "pause window: " << ms(result.pause.window_ms) << " ms (stop "
              << ms(result.pause.stop_ms) << ", copy " << ms(result.pause.copy_ms) << ", cont "
              << ms(result.pause.cont_ms) << ")"
              << (report.value("pauses", 1) > 1
                      ? "; the last of " + std::to_string(report["pauses"].get<int>()) +
                            " pauses (in the earlier ones the kernel was rewriting its code or "
                            "no vCPU was on its page tables; their copies are held to this one)"
                      : std::string())
              << "\n"
              << ".text: " << result.text.bytes_compared << " bytes, "
              << result.text.bytes_differing << " differ, all but " << result.text.bytes_unexplained
              << " at patch sites (" << golden.sites().size() << " sites, " << result.sites_changed
              << " rewritten, " << result.sites_rejected << " not in a form the kernel writes)\n"
              << ".rodata (ro_after_init data by its rules): " << result.rodata.bytes_compared
              << " bytes, " << result.rodata.bytes_unexplained << " differ\n"
              << "ro_after_init: " << result.tables_compared.size() << " tables sorted at boot, "
              << result.code_pointers.code_pointers << " code pointers ("
              << result.code_pointers.set_at_boot << " re-pointed at boot, "
              << result.code_pointers.problems.size() << " refused)";
    if (result.lsm_hooks)
        std::cout << ", LSM hooks " << result.lsm_hooks->registered << " registered of "
                  << result.lsm_hooks->hooks << " (" << result.lsm_hooks->problems.size()
                  << " refused)";
    std::cout << "\n";
    if (result.lsm_hooks) {
        std::cout << "LSMs registered:";
        for (const auto& a : result.lsm_hooks->registered_arrays) std::cout << " " << a;
        std::cout << "\n";
    }
    if (result.vcpus_paging)
        std::cout << "CR0.WP: "
                  << (result.write_protect_problems.empty()
                          ? std::string("set on every vCPU with paging on (") +
                                std::to_string(result.vcpus_paging) + ")"
                          // The findings may name earlier pauses too: counted as findings.
                          : "clear, " + std::to_string(result.write_protect_problems.size()) +
                                " finding(s) below (the last pause saw " +
                                std::to_string(result.vcpus_paging) + " vCPU(s) with paging on)")
                  << "\n";
    if (const auto tables = report.find("dom0_root_tables_checked");
        tables != report.end() && !tables->is_null())
        std::cout << "page tables: every one Xen lists for dom0 (" << tables->get<std::size_t>()
                  << ") maps the copy or none of it\n";
    if (const auto vcpus = report.find("dom0_vcpus_checked");
        vcpus != report.end() && !vcpus->is_null())
        std::cout << "dom0's vCPUs as Xen holds them (" << vcpus->get<std::size_t>()
                  << "): checked to enter the kernel on tables mapping the copy, "
                  << (report.value("dom0_traps_predicted", nlohmann::json()) == true
                          ? "at the functions the golden kernel registers"
                          : "at function starts (its traps were not predicted from the golden: " +
                                report.value("dom0_traps_predicted", std::string("?")) + ")")
                  << "\n";
    if (const auto idt = report.find("idt");
        idt != report.end() && !(*idt)["gates_checked"].is_null())
        std::cout << "IDT: " << (*idt)["gates_checked"].get<std::size_t>()
                  << " gates checked against the golden image"
                  << ((*idt)["idtr_vcpus_checked"].is_null()
                          ? std::string()
                          : ", the IDTR of " +
                                std::to_string((*idt)["idtr_vcpus_checked"].get<std::size_t>()) +
                                " vCPU(s)" +
                                (report.value("image", "") == "linux"
                                     ? " and their read-only alias of it against idt_table's page"
                                     : std::string()) +
                                ((*idt).value("tss_vcpus_checked", nlohmann::json()).is_null()
                                     ? std::string()
                                     : ", the TSS of " +
                                           std::to_string(
                                               (*idt)["tss_vcpus_checked"].get<std::size_t>()) +
                                           " (the stacks interrupts switch to)"))
                  << "\n";
    for (const auto& check : result.not_judged)
        std::cout << "  not judged: " << check << " (inspect again)\n";
    if (!result.mapping_problem.empty())
        std::cout << "  not what the vCPU runs: " << result.mapping_problem << "\n";
    for (const auto& vcpu : result.write_protect_problems) std::cout << "  " << vcpu << "\n";
    for (const auto& gate : result.idt_problems) std::cout << "  " << gate << "\n";
    for (const auto* c : {&result.text, &result.rodata})
        for (const auto& r : c->unexplained)
            std::cout << "  differs at " << r.symbol << (r.note.empty() ? "" : " (" + r.note + ")")
                      << ": expected " << binary::to_hex(r.expected) << ", found "
                      << binary::to_hex(r.found) << "\n";
}

// One image's inspection: the common part, and its report.
struct Inspected {
    const Golden* golden;
    inspect::CodeInspection result;
    nlohmann::json report;
    std::string error;  // the inspection failed (then it is measured as not inspected)
};

// The inspection's dynamic launch and measurements on the guest's TPM, then
// the quote (evidence file or verifier service). Adds "measurement" (and
// "attestation") to the report; returns whether the log replays to the TPM.
bool measure_and_attest(const InspectOptions& o, const nlohmann::json& vm,
                        const binary::Bytes& inspector, const std::vector<Inspected>& inspected,
                        const binary::Bytes& nonce, nlohmann::json& report) {
    const auto tcti = vm.at("tcti").get<std::string>();
    progress("measuring the inspection into the guest's TPM (" + tcti + ")");
    inspect::InspectionSubject subject{inspector, {}};
    // A failed image too: its rules and golden file, and why it was not
    // inspected, so the PCRs are neither the pair's nor a single image's.
    for (const auto& i : inspected) {
        subject.images.push_back({i.golden->code->inspection_rules(), i.golden->file,
                                  i.golden->code->build_id(), i.result.text_normalised,
                                  i.result.rodata_normalised,
                                  i.error.empty() ? inspect::findings_text(i.result)
                                                  : "not inspected: " + i.error + "\n",
                                  i.error.empty()});
        if (i.error.empty() && i.result.lsm_hooks)
            subject.images.back().lsms = inspect::lsm_set(i.result.lsm_hooks->registered_arrays);
    }
    auto m = inspect::measure_inspection(tcti, subject);
    const auto log_path =
        o.log.empty() ? fs::path(o.vm) / "inspection-eventlog.bin" : fs::path(o.log);
    binary::write_file_atomic(log_path, m.eventlog);
    auto measurement = inspect::to_json(m);
    measurement["eventlog"] = log_path.string();
    if (!o.keys.empty()) {
        auto keys = attest::load_attester_keys(o.keys);
        tpm::Tpm t(tcti);
        attest::CollectOptions opts;
        opts.ek = keys.ek_type;
        // The banks the log carries: a verifier cannot replay the others.
        opts.banks = launch::log_banks();
        if (!o.verifier.empty()) {
            // The agent's protocol: the service's nonce, the quote, its verdict.
            auto id = service::ClientIdentity::in_directory(o.identity);
            service::VerifierClient client(o.verifier, id);
            progress("sending the quoted inspection to " + o.verifier);
            report["attestation"] =
                service::attest_node(client, id.common_name(), t, keys, m.eventlog, opts);
        } else {
            opts.node = vm.value("name", std::string{});
            auto evidence = attest::collect_evidence(t, keys.ak, nonce, m.eventlog, opts);
            const auto evidence_path = o.evidence.empty()
                                           ? fs::path(o.vm) / "inspection-evidence.json"
                                           : fs::path(o.evidence);
            binary::write_file_atomic(evidence_path,
                                      std::string_view(attest::to_json(evidence).dump(2) + "\n"));
            measurement["evidence"] = evidence_path.string();
        }
    }
    report["measurement"] = measurement;
    return m.verified;
}

void run_inspect(const InspectOptions& o) {
    if (o.vm.empty()) throw CLI::RequiredError("--vm (or --predict)");
    if (!o.inspector.empty())
        throw CLI::ValidationError("--inspector",
                                   "names the inspector of a prediction (--predict); an "
                                   "inspection measures the running drtm itself");
    if (!o.verifier.empty() && !o.nonce.empty())
        throw CLI::ValidationError("--nonce", "the verifier service issues the nonce");
    if (!o.verifier.empty() && (o.identity.empty() || o.keys.empty()))
        throw CLI::ValidationError("--verifier", "needs --identity and --keys");
    if (!o.keys.empty() && o.nonce.empty() && o.verifier.empty())
        throw CLI::ValidationError("--keys",
                                   "a quote needs the verifier's --nonce (or --verifier)");
    if (o.no_measure && !o.keys.empty())
        throw CLI::ValidationError("--keys", "a quote needs the measurement (drop --no-measure)");
    const binary::Bytes nonce = o.nonce.empty() ? binary::Bytes{} : parse_nonce(o.nonce);
    const auto descriptor = fs::path(o.vm) / "vm.json";
    if (!fs::exists(descriptor))
        throw std::runtime_error(descriptor.string() + " not found: is `drtm vm run --dir " + o.vm +
                                 "` running?");
    auto vm = nlohmann::json::parse(binary::read_text_file(descriptor));
    const bool under_xen = vm.value("hypervisor", "none") == "xen";
    // --dom0, or --kernel beside --xen, names Xen's dom0: the guest must run Xen.
    if ((o.dom0 || (!o.xen.empty() && !o.kernel.empty())) && !under_xen)
        throw std::runtime_error(std::string(o.dom0 ? "--dom0" : "--kernel with --xen") +
                                 " names dom0's kernel, but " + descriptor.string() +
                                 " says no Xen runs this guest (`drtm vm run --xen`)");
    const auto goldens = load_goldens(o, under_xen);
    // Before the pause: hashing the inspector is slow and needs no guest.
    binary::Bytes inspector;
    if (!o.no_measure) inspector = inspect::inspector_sha256();

    inspect::GuestMemory ram(vm.at("ram_file").get<std::string>(),
                             vm.at("ram_size").get<std::uint64_t>());
    if (!vm.contains("gdb"))
        throw std::runtime_error(descriptor.string() +
                                 " names no gdbstub socket: the guest was started by an older "
                                 "drtm; restart it with this one's `drtm vm run`");
    inspect::QmpClient qmp(vm.at("qmp").get<std::string>());
    const inspect::GuestControl guest{qmp, vm.at("gdb").get<std::string>()};
    // Each image in a pause of its own, so Xen's stays as short as Xen's
    // copy. The report carries what is particular to each (KASLR,
    // xen_phys_start); the rest works on the common part.
    std::vector<Inspected> inspected;
    const inspect::XenGolden* xen_golden = nullptr;
    for (const auto& g : goldens)
        if (auto* xen = dynamic_cast<const inspect::XenGolden*>(g.code.get())) xen_golden = xen;
    for (const auto& g : goldens) {
        if (goldens.size() > 1) progress("inspecting " + g.role);
        Inspected i{&g, {}, {}, {}};
        try {
            if (const auto* xen = dynamic_cast<const inspect::XenGolden*>(g.code.get())) {
                auto r = inspect::inspect_xen(*xen, ram, guest);
                i.report = inspect::to_json(r, *xen);
                i.result = std::move(r);
            } else {
                const auto& linux_golden = dynamic_cast<const inspect::LinuxGolden&>(*g.code);
                // dom0 beside its Xen: Xen's frame table lists every page
                // table dom0 can run on.
                std::optional<inspect::XenFrameTable> frame_table;
                std::optional<inspect::XenDom0Vcpus> vcpus;
                std::string frame_table_error, vcpus_error;
                if (xen_golden && linux_golden.platform() == inspect::LinuxPlatform::xen_pv) {
                    try {
                        frame_table = inspect::XenFrameTable::read(*xen_golden, ram);
                    } catch (const std::exception& e) {
                        frame_table_error = e.what();
                    }
                    try {
                        vcpus = inspect::XenDom0Vcpus::read_layout(*xen_golden, ram);
                    } catch (const std::exception& e) {
                        vcpus_error = e.what();
                    }
                }
                auto r = inspect::inspect_linux(linux_golden, ram, guest,
                                                frame_table ? &*frame_table : nullptr,
                                                vcpus ? &*vcpus : nullptr);
                if (!vcpus_error.empty())
                    r.not_judged.push_back(
                        "dom0's vCPUs as Xen holds them were not read (" + vcpus_error +
                        "): a descheduled vCPU's kernel page table and entry points are not "
                        "checked");
                if (!frame_table_error.empty())
                    r.not_judged.push_back(
                        "Xen's frame table was not read (" + frame_table_error +
                        "): of dom0's page tables, only the vCPUs' and init_top_pgt were checked");
                i.report = inspect::to_json(r, linux_golden);
                i.result = std::move(r);
            }
        } catch (const std::exception& e) {
            // Alone, an error is the answer. With Xen and dom0, one image's
            // failure (which the other, if modified, could provoke) must
            // not hide what the other was found to be: it is reported, and
            // measured as not inspected (so the PCRs are no intact pair's,
            // nor a single image's).
            if (goldens.size() == 1) throw;
            i.error = e.what();
            i.report = {{"verdict", "error"}, {"error", i.error}};
        }
        inspected.push_back(std::move(i));
    }
    const bool modified = std::any_of(inspected.begin(), inspected.end(), [](const Inspected& i) {
        return i.error.empty() && !i.result.intact();
    });
    const auto failed = std::find_if(inspected.begin(), inspected.end(),
                                     [](const Inspected& i) { return !i.error.empty(); });
    // One image: its report. Xen and dom0: each under its role.
    nlohmann::json report;
    if (inspected.size() == 1) {
        report = inspected.front().report;
    } else {
        report["verdict"] = modified ? "modified" : failed != inspected.end() ? "error" : "intact";
        for (const auto& i : inspected) report[i.golden->role] = i.report;
    }

    bool measured_ok = true;
    std::string measurement_error;
    if (!o.no_measure) {
        // A guest that makes the measurement fail must not turn "modified"
        // into a mere error: the verdict is reported first either way.
        try {
            measured_ok = measure_and_attest(o, vm, inspector, inspected, nonce, report);
        } catch (const std::exception& e) {
            measurement_error = e.what();
            report["measurement_error"] = measurement_error;
        }
    }

    if (o.json) {
        print_json(report);
    } else {
        if (inspected.size() > 1)
            std::cout << "verdict: " << report["verdict"].get<std::string>() << "\n";
        for (const auto& i : inspected) {
            if (inspected.size() > 1) std::cout << "\n" << i.golden->role << ":\n";
            if (!i.error.empty())
                std::cout << "error: " << i.error << "\n";
            else
                print_report(i.result, *i.golden->code, i.report);
        }
        if (report.contains("measurement")) {
            const auto& m = report["measurement"];
            std::cout << "measured into the guest's TPM: log " << m["eventlog"].get<std::string>()
                      << (measured_ok ? " (replays to PCR 17-22)" : " (DOES NOT replay)") << "\n";
            print_pcrs(m);
            if (m.contains("evidence"))
                std::cout << "evidence: " << m["evidence"].get<std::string>() << "\n";
        }
        if (report.contains("attestation")) {
            const auto& a = report["attestation"];
            std::cout << "verifier: " << a["status"].get<std::string>();
            for (const auto& f : a["failed"]) std::cout << "  failed:" << f.get<std::string>();
            std::cout << "\n";
        }
    }
    if (modified) {
        if (failed != inspected.end())
            std::cerr << "drtm: the " << failed->golden->role
                      << " inspection failed: " << failed->error << "\n";
        if (!measurement_error.empty())
            std::cerr << "drtm: the measurement failed too: " << measurement_error << "\n";
        throw CLI::RuntimeError(2);
    }
    if (failed != inspected.end())
        throw std::runtime_error("the " + failed->golden->role +
                                 " inspection failed: " + failed->error);
    if (!measurement_error.empty()) throw std::runtime_error(measurement_error);
    if (!measured_ok)
        throw std::runtime_error("the inspection log does not replay to the guest TPM's PCRs");
    if (report.contains("attestation") && report["attestation"]["status"] != "affirming")
        throw CLI::RuntimeError(2);
}

}  // namespace

void register_inspect(CLI::App& app) {
    auto o = std::make_shared<InspectOptions>();
    auto* cmd = app.add_subcommand(
        "inspect",
        "Check a running guest's kernel or Xen (and its dom0) against golden images: pause, copy "
        ".text and .rodata, resume, compare (every difference must lie in a patch site the golden "
        "image's tables name), and measure the inspection into the guest's TPM. Exit 0 intact, 2 "
        "modified (or not affirmed by --verifier), 1 error");
    auto* vm = cmd->add_option("--vm", o->vm, "The directory of a running `drtm vm run`");
    auto* kernel = cmd->add_option("--kernel", o->kernel,
                                   "The golden kernel: the bzImage the guest booted (in a guest "
                                   "`drtm vm run --xen` started: dom0's, held to a Xen PV boot)")
                       ->check(CLI::ExistingFile);
    auto* xen = cmd->add_option("--xen", o->xen,
                                "The golden hypervisor: xen-syms (xen-hypervisor-*-dbg) of the "
                                "xen.gz the guest booted; with --kernel, Xen and then dom0 are "
                                "inspected and measured in one launch")
                    ->check(CLI::ExistingFile);
    cmd->add_flag("--dom0", o->dom0,
                  "With --predict: the --kernel is Xen's PV dom0 (implied by --xen). An "
                  "inspection reads this from vm.json and refuses --dom0 for a guest without Xen")
        ->needs(kernel);
    auto* golden = cmd->add_option_group("golden", "The golden images");
    golden->add_option(kernel);
    golden->add_option(xen);
    golden->require_option(1, 2);
    auto* predict = cmd->add_flag("--predict", o->predict,
                                  "Print the PCR 17-22 values an intact guest's inspection gives "
                                  "(for an appraisal policy); needs no guest");
    predict->excludes(vm);
    cmd->add_option("--lsms", o->lsms,
                    "With --predict: the LSMs the guest's kernel runs, as an inspection reports "
                    "them (lsm_hooks.lsms, e.g. \"apparmor bpf_lsm capability landlock lockdown "
                    "tomoyo yama\"), for PCR 20; without it PCR 20 is not predicted")
        ->needs(predict);
    cmd->add_option("--inspector", o->inspector,
                    "With --predict: the inspector executable (default: this drtm)")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--no-measure", o->no_measure,
                  "Compare only: leave the guest TPM's PCR 17-22 as they are");
    cmd->add_option(
        "--log", o->log,
        "Where to write the inspection's event log (default VM/inspection-eventlog.bin)");
    cmd->add_option("--keys", o->keys, "Quote the result with this AK (`drtm attest keys`)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--nonce", o->nonce, "The verifier's nonce for the quote (hex)");
    cmd->add_option("--evidence", o->evidence,
                    "Where to write the evidence (default VM/inspection-evidence.json)");
    cmd->add_option("--verifier", o->verifier,
                    "Send the quoted inspection to this verifier (https://HOST:PORT) as `drtm "
                    "agent attest` does; its verdict joins the report");
    cmd->add_option("--identity", o->identity,
                    "With --verifier: the agent's directory from `drtm verifier client-cert`");
    cmd->add_flag("--json", o->json, "Print the report as JSON");
    cmd->callback([o] { o->predict ? run_predict(*o) : run_inspect(*o); });
}

}  // namespace drtm::cli
