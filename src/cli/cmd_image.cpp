// drtm image show|vmlinux|kallsyms|make-test-dce: inspect boot images the way
// the DCE and the DLME see them, extract the golden kernel ELF and its symbol
// table from a bzImage, and generate the synthetic DCEs used by tests and
// the demo.
#include <cstdio>
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
#include "image/kallsyms.hpp"
#include "image/slb.hpp"
#include "image/test_dce.hpp"
#include "image/vmlinux.hpp"
#include "image/xen.hpp"

namespace drtm::cli {

namespace {

struct ImageOptions {
    std::string file;
    std::string kind = "auto";
    std::string flavour;
    std::string out;
    std::string relocs;
    std::string match;
    bool json = false;
};

// Tries the kinds a user most likely means, in order; the first that parses
// wins. With an explicit --kind, that parser's error is reported as is.
nlohmann::json describe(const binary::Bytes& file, const std::string& kind) {
    auto try_kind = [&](const std::string& k) -> nlohmann::json {
        if (k == "bzimage")
            return {{"kind", "bzimage"}, {"image", image::to_json(image::parse_bzimage(file))}};
        if (k == "xen") return {{"kind", "xen"}, {"image", image::to_json(image::load_xen(file))}};
        if (k == "elf")
            return {{"kind", "elf"}, {"image", image::to_json(image::ElfImage::parse(file))}};
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
    for (const char* k : {"bzimage", "xen", "elf", "acm", "slb"}) {
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

    auto* show = cmd->add_subcommand(
        "show",
        "Describe a bzImage, Xen image, ELF file (vmlinux, xen-syms), SINIT ACM or SKL SLB");
    show->add_option("FILE", o->file, "Image file")->required()->check(CLI::ExistingFile);
    show->add_option("--kind", o->kind, "auto, bzimage, xen, elf, acm, slb")->capture_default_str();
    show->add_flag("--json", o->json, "Print JSON (the default output is JSON too, indented)");
    show->callback([o] {
        auto bytes = binary::read_file(o->file);
        print_json(binary::in_file(o->file, [&] { return describe(bytes, o->kind); }));
    });

    auto* vmlinux = cmd->add_subcommand(
        "vmlinux",
        "Extract the kernel ELF (vmlinux.bin: sections kept, symbols stripped) and its x86 "
        "relocation table from a bzImage: the golden image of runtime inspection, and a kernel "
        "QEMU boots directly (PVH)");
    vmlinux->add_option("--kernel", o->file, "bzImage (e.g. /boot/vmlinuz-*)")
        ->required()
        ->check(CLI::ExistingFile);
    vmlinux->add_option("--out", o->out, "Where to write the ELF");
    vmlinux->add_option("--relocs", o->relocs, "Where to write the relocation table");
    vmlinux->callback([o] {
        auto bytes = binary::read_file(o->file);
        auto v = binary::in_file(o->file, [&] { return image::extract_vmlinux(bytes); });
        auto summary = binary::in_file(o->file, [&] { return image::describe_vmlinux(v); });
        if (!o->out.empty()) binary::write_file_atomic(o->out, binary::ByteView(v.elf));
        if (!o->relocs.empty())
            binary::write_file_atomic(o->relocs, binary::ByteView(v.relocations));
        print_json(summary);
    });

    auto* kallsyms = cmd->add_subcommand(
        "kallsyms",
        "List the kernel's own symbol table (kallsyms, decoded from .rodata) in /proc/kallsyms "
        "format: a System.map without the debug package");
    kallsyms->add_option("FILE", o->file, "bzImage or vmlinux ELF")
        ->required()
        ->check(CLI::ExistingFile);
    kallsyms->add_option("--match", o->match, "Only symbols whose name contains this text");
    kallsyms->add_flag("--json", o->json, "Print JSON: the table's layout and the symbols");
    kallsyms->callback([o] {
        auto bytes = binary::read_file(o->file);
        binary::Bytes elf_bytes;
        if (image::looks_elf(bytes)) {
            elf_bytes = std::move(bytes);
        } else {
            elf_bytes = binary::in_file(o->file, [&] { return image::extract_vmlinux(bytes).elf; });
        }
        image::KallsymsLayout layout;
        auto symbols = binary::in_file(o->file, [&] {
            return image::decode_kallsyms(image::ElfImage::parse(elf_bytes), &layout);
        });
        auto wanted = [&](const image::KernelSymbol& s) {
            return o->match.empty() || s.name.find(o->match) != std::string::npos;
        };
        auto hex16 = [](std::uint64_t v) {
            char buf[17];
            std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
            return std::string(buf);
        };
        if (o->json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& s : symbols.all())
                if (wanted(s))
                    list.push_back({{"address", hex16(s.address)},
                                    {"type", std::string(1, s.type)},
                                    {"name", s.name}});
            print_json({{"count", layout.count},
                        {"relative_base", hex16(layout.relative_base)},
                        {"token_table", hex16(layout.token_table)},
                        {"symbols", list}});
            return;
        }
        for (const auto& s : symbols.all())
            if (wanted(s)) std::cout << hex16(s.address) << ' ' << s.type << ' ' << s.name << '\n';
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
