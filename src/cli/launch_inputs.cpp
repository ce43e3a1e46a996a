#include "cli/launch_inputs.hpp"

#include "binary/error.hpp"
#include "cli/output.hpp"
#include "eventlog/parse.hpp"

namespace drtm::cli {

namespace {
launch::XenModule parse_module(const std::string& spec) {
    // FILE[:CMDLINE]; the command line may itself contain ':'.
    auto colon = spec.find(':');
    if (colon == std::string::npos) return {spec, ""};
    return {spec.substr(0, colon), spec.substr(colon + 1)};
}
}  // namespace

void add_launch_inputs(CLI::App* cmd, LaunchInputs& o, bool required) {
    cmd->add_option("--flavour", o.flavour, "amd (SKINIT + SKL) or intel (SENTER + SINIT)")
        ->required(required)
        ->check(CLI::IsMember({"amd", "intel"}));
    cmd->add_option("--dce", o.dce, "DCE image: an SKL SLB (amd) or a SINIT ACM (intel)")
        ->required(required)
        ->check(CLI::ExistingFile);
    // One value per occurrence: `--cmdline a b` must not silently become two
    // command lines.
    auto* kernel = cmd->add_option("--kernel", o.kernel, "Linux bzImage (the DLME)")
                       ->check(CLI::ExistingFile)
                       ->expected(1)
                       ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                       ->allow_extra_args(false);
    cmd->add_option("--initrd", o.initrd, "Linux initrd")
        ->check(CLI::ExistingFile)
        ->needs(kernel)
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->allow_extra_args(false);
    cmd->add_option("--cmdline", o.cmdline, "Linux command line")
        ->needs(kernel)
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->allow_extra_args(false);
    auto* xen = cmd->add_option("--xen", o.xen, "Xen image (xen.gz or uncompressed) as the DLME")
                    ->check(CLI::ExistingFile)
                    ->excludes(kernel);
    cmd->add_option("--xen-cmdline", o.xen_cmdline, "Xen command line")->needs(xen);
    cmd->add_option("--module", o.modules,
                    "Multiboot2 module FILE[:CMDLINE] (repeat; dom0 kernel first)")
        ->needs(xen);
    cmd->add_option("--platform", o.platform,
                    "Intel platform description (JSON; see docs/platform.md)")
        ->check(CLI::ExistingFile);
}

namespace {
launch::LaunchRequest base_request(const LaunchInputs& o) {
    if (o.kernel.empty() && o.xen.empty())
        throw CLI::ValidationError("launch", "give the DLME: --kernel FILE or --xen FILE");
    if (o.flavour.empty() || o.dce.empty())
        throw CLI::ValidationError("launch", "give --flavour and --dce with the DLME");
    launch::LaunchRequest req;
    req.flavour = o.flavour == "amd" ? launch::Flavour::amd : launch::Flavour::intel;
    req.dce = o.dce;
    if (!o.platform.empty()) req.txt_platform = launch::load_txt_platform(o.platform);
    if (!o.xen.empty()) {
        launch::XenDlme x{o.xen, o.xen_cmdline, {}};
        for (const auto& m : o.modules) x.modules.push_back(parse_module(m));
        req.dlme = x;
    }
    return req;
}
}  // namespace

std::vector<LaunchVariant> launch_variants(const LaunchInputs& o) {
    launch::LaunchRequest base = base_request(o);
    if (o.kernel.empty()) return {LaunchVariant{base, {{"xen", o.xen}}}};
    // An absent option is one variant "without it".
    const std::vector<std::string> initrds =
        o.initrd.empty() ? std::vector<std::string>{""} : o.initrd;
    const std::vector<std::string> cmdlines =
        o.cmdline.empty() ? std::vector<std::string>{""} : o.cmdline;
    std::vector<LaunchVariant> out;
    for (const auto& k : o.kernel)
        for (const auto& i : initrds)
            for (const auto& c : cmdlines) {
                LaunchVariant v{base, {{"kernel", k}, {"initrd", i}, {"cmdline", c}}};
                launch::LinuxDlme l{k, std::nullopt, c};
                if (!i.empty()) l.initrd = i;
                v.request.dlme = l;
                out.push_back(std::move(v));
            }
    return out;
}

launch::LaunchRequest launch_request(const LaunchInputs& o) {
    if (o.kernel.size() > 1 || o.initrd.size() > 1 || o.cmdline.size() > 1)
        throw CLI::ValidationError("launch",
                                   "give --kernel, --initrd and --cmdline at most once here "
                                   "(only drtm predict takes several, one prediction each)");
    return launch_variants(o).front().request;
}

std::vector<PredictedVariant> predict_variants(const LaunchInputs& o,
                                               const std::string& reference_log) {
    auto variants = launch_variants(o);
    const auto flavour = variants.front().request.flavour;
    std::optional<eventlog::EventLog> ref;
    if (!reference_log.empty()) {
        if (flavour != launch::Flavour::intel)
            throw CLI::ValidationError("--reference-log",
                                       "only Intel launches need a reference log");
        ref =
            binary::in_file(reference_log, [&] { return eventlog::read_event_log(reference_log); });
    } else if (flavour == launch::Flavour::intel) {
        progress("no --reference-log: SINIT's platform measurements come from drtm's model");
    }
    std::vector<PredictedVariant> out;
    for (std::size_t n = 0; n < variants.size(); ++n) {
        if (variants.size() > 1)
            progress("variant " + std::to_string(n + 1) + "/" + std::to_string(variants.size()));
        out.push_back({predict::predict_launch(variants[n].request, ref ? &*ref : nullptr),
                       variants[n].describe});
    }
    return out;
}

}  // namespace drtm::cli
