#include "cli/launch_inputs.hpp"

namespace drtm::cli {

namespace {
launch::XenModule parse_module(const std::string& spec) {
    // FILE[:CMDLINE]; the command line may itself contain ':'.
    auto colon = spec.find(':');
    if (colon == std::string::npos) return {spec, ""};
    return {spec.substr(0, colon), spec.substr(colon + 1)};
}
}  // namespace

void add_launch_inputs(CLI::App* cmd, LaunchInputs& o) {
    cmd->add_option("--flavour", o.flavour, "amd (SKINIT + SKL) or intel (SENTER + SINIT)")
        ->required()
        ->check(CLI::IsMember({"amd", "intel"}));
    cmd->add_option("--dce", o.dce, "DCE image: an SKL SLB (amd) or a SINIT ACM (intel)")
        ->required()
        ->check(CLI::ExistingFile);
    auto* kernel =
        cmd->add_option("--kernel", o.kernel, "Linux bzImage (the DLME)")->check(CLI::ExistingFile);
    cmd->add_option("--initrd", o.initrd, "Linux initrd")->check(CLI::ExistingFile)->needs(kernel);
    cmd->add_option("--cmdline", o.cmdline, "Linux command line")->needs(kernel);
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

launch::LaunchRequest launch_request(const LaunchInputs& o) {
    if (o.kernel.empty() && o.xen.empty())
        throw CLI::ValidationError("launch", "give the DLME: --kernel FILE or --xen FILE");
    launch::LaunchRequest req;
    req.flavour = o.flavour == "amd" ? launch::Flavour::amd : launch::Flavour::intel;
    req.dce = o.dce;
    if (!o.kernel.empty()) {
        launch::LinuxDlme l{o.kernel, std::nullopt, o.cmdline};
        if (!o.initrd.empty()) l.initrd = o.initrd;
        req.dlme = l;
    } else {
        launch::XenDlme x{o.xen, o.xen_cmdline, {}};
        for (const auto& m : o.modules) x.modules.push_back(parse_module(m));
        req.dlme = x;
    }
    if (!o.platform.empty()) req.txt_platform = launch::load_txt_platform(o.platform);
    return req;
}

}  // namespace drtm::cli
