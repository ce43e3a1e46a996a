// drtm image show|make-test-dce: inspect boot images the way the DCE and the
// DLME see them, and generate the synthetic DCEs used by tests and the demo.
#include <iostream>
#include <memory>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "image/acm.hpp"
#include "image/bzimage.hpp"
#include "image/gzip.hpp"
#include "image/json.hpp"
#include "image/slb.hpp"
#include "image/test_dce.hpp"
#include "image/xen.hpp"

namespace drtm::cli {

namespace {

struct ImageOptions {
    std::string file;
    std::string kind = "auto";
    std::string flavour;
    std::string out;
    bool json = false;
};

// Tries the kinds a user most likely means, in order; the first that parses
// wins. With an explicit --kind, that parser's error is reported as is.
nlohmann::json describe(const binary::Bytes& file, const std::string& kind) {
    auto try_kind = [&](const std::string& k) -> nlohmann::json {
        if (k == "bzimage")
            return {{"kind", "bzimage"}, {"image", image::to_json(image::parse_bzimage(file))}};
        if (k == "xen") return {{"kind", "xen"}, {"image", image::to_json(image::load_xen(file))}};
        if (k == "acm")
            return {{"kind", "acm"},
                    {"image", image::describe_acm(file, image::parse_acm(file, false))}};
        if (k == "slb") {
            try {
                auto slb = image::parse_slb(file, image::SlbLayout::amd_header);
                return {{"kind", "slb"}, {"image", image::describe_slb(file, slb)}};
            } catch (const binary::ParseError&) {
                auto slb = image::parse_slb(file, image::SlbLayout::compact);
                return {{"kind", "slb"}, {"image", image::describe_slb(file, slb)}};
            }
        }
        throw CLI::ValidationError("--kind", "unknown image kind '" + k + "'");
    };
    if (kind != "auto") return try_kind(kind);
    std::string reasons;
    for (const char* k : {"bzimage", "xen", "acm", "slb"}) {
        try {
            return try_kind(k);
        } catch (const binary::ParseError& e) {
            reasons += std::string("\n  as ") + k + ": " + e.what();
        }
    }
    throw std::runtime_error("not a recognised boot image:" + reasons);
}

}  // namespace

void register_image(CLI::App& app) {
    auto* cmd = app.add_subcommand("image", "Inspect boot images; generate test DCEs");
    cmd->require_subcommand(1);
    auto o = std::make_shared<ImageOptions>();

    auto* show = cmd->add_subcommand("show", "Describe a bzImage, Xen image, SINIT ACM or SKL SLB");
    show->add_option("FILE", o->file, "Image file")->required()->check(CLI::ExistingFile);
    show->add_option("--kind", o->kind, "auto, bzimage, xen, acm, slb")->capture_default_str();
    show->add_flag("--json", o->json, "Print JSON (the default output is JSON too, indented)");
    show->callback([o] {
        auto bytes = binary::read_file(o->file);
        print_json(binary::in_file(o->file, [&] { return describe(bytes, o->kind); }));
    });

    auto* make = cmd->add_subcommand("make-test-dce",
                                     "Write a synthetic DCE: an SKL-like SLB (amd) or an unsigned "
                                     "test SINIT ACM (intel). Not a real DCE: "
                                     "for tests and demonstrations only");
    make->add_option("--flavour", o->flavour, "amd or intel")
        ->required()
        ->check(CLI::IsMember({"amd", "intel"}));
    make->add_option("--out", o->out, "Output file")->required();
    make->callback([o] {
        auto bytes = o->flavour == "amd" ? image::make_test_skl() : image::make_test_sinit();
        binary::write_file_atomic(o->out, binary::ByteView(bytes));
        progress("wrote " + o->out + " (" + std::to_string(bytes.size()) + " bytes)");
    });
}

}  // namespace drtm::cli
