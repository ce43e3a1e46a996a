#include "launch/emulated_grub.hpp"

#include <stdexcept>

#include "binary/file_io.hpp"
#include "crypto/digest.hpp"
#include "eventlog/drtm_logs.hpp"
#include "image/boot_params.hpp"
#include "image/bzimage.hpp"
#include "image/mbi.hpp"
#include "image/xen.hpp"
#include "launch/memory_layout.hpp"
#include "slrt/grub_policy.hpp"
#include "slrt/os_mle.hpp"
#include "slrt/table_builder.hpp"

namespace drtm::launch {

namespace {

using binary::Bytes;
using binary::ByteView;

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) {
    return (v + a - 1) / a * a;
}

// A plain PC memory map: low RAM, the legacy hole, RAM up to the reserved
// area below 2 GiB where SINIT, the TXT heap, the SLRT and the SLB live.
std::vector<image::E820Entry> e820_map() {
    return {{0x0, 0x9F000, 1},
            {0x9F000, 0x61000, 2},
            {0x100000, 0x7FB00000, 1},
            {0x7FC00000, 0x400000, 2}};
}

std::string sha256_hex(ByteView b) {
    return binary::to_hex(crypto::hash(crypto::HashAlg::sha256, b));
}

slrt::DlInfo dl_info_for(Flavour flavour, const DceInMemory& dce, std::uint64_t dlme_size,
                         std::uint32_t dlme_entry, std::uint64_t bl_context) {
    slrt::DlInfo dl;
    dl.dce_base = flavour == Flavour::amd ? layout::kSlb : layout::kSinit;
    dl.dce_size = dce.size;
    dl.dlme_base = layout::kDlmeBase;
    dl.dlme_size = dlme_size;
    dl.dlme_entry = dlme_entry;
    dl.bl_context.context = bl_context;
    dl.dl_handler = layout::kDlHandler;
    return dl;
}

slrt::LogInfo log_info() {
    slrt::LogInfo li;
    li.format = static_cast<std::uint16_t>(slrt::LogFormat::tpm20_tcg);
    li.size = layout::kEventLogSize;
    li.addr = layout::kEventLog;
    return li;
}

std::uint64_t slrt_base_for(Flavour flavour, const DceInMemory& dce) {
    return flavour == Flavour::amd ? layout::kSlb + dce.slrt_offset : layout::kSlrtIntel;
}

// Places the DCE and the SLRT. On AMD the SLRT lives in the SLB's unmeasured
// tail, so both go into one 64 KiB region; on Intel they are apart.
void place_dce_and_slrt(PhysicalMemory& mem, Flavour flavour, const DceInMemory& dce,
                        const slrt::Table& table) {
    slrt::TableBuilder builder(table.architecture, table.max_size);
    for (const auto& e : table.entries) builder.add(e);
    Bytes slrt_image = builder.memory_image();
    if (flavour == Flavour::amd) {
        Bytes slb(layout::kSlbSize, 0);
        std::copy(dce.bytes.begin(), dce.bytes.end(), slb.begin());
        if (dce.slrt_offset + slrt_image.size() > slb.size())
            throw std::runtime_error("the SLRT does not fit in the SLB after bootloader_data");
        std::copy(slrt_image.begin(), slrt_image.end(), slb.begin() + dce.slrt_offset);
        mem.place(layout::kSlb, std::move(slb), "SLB (SKL + SLRT)");
    } else {
        mem.place(layout::kSinit, Bytes(dce.bytes.begin(), dce.bytes.end()), "SINIT ACM");
        mem.place(layout::kSlrtIntel, std::move(slrt_image), "SLRT");
    }
}

std::optional<slrt::Entry> intel_info_entry() {
    slrt::IntelInfo info;
    info.layout = slrt::IntelInfoLayout::spec;
    info.txt_heap = layout::kTxtHeap;
    return info;
}

Bytes os_mle_bytes(slrt::OsMleLayout layout_kind, std::uint64_t slrt_base) {
    slrt::OsMleData d;
    d.layout = layout_kind;
    d.version = 1;
    d.boot_params_addr = layout_kind == slrt::OsMleLayout::kernel_2025 ? 0 : layout::kZeroPage;
    d.slrt = slrt_base;
    return slrt::serialize_os_mle(d);
}

void place_log(PhysicalMemory& mem, Flavour flavour, BootSetup& setup) {
    setup.log_addr = layout::kEventLog;
    setup.log_size = layout::kEventLogSize;
    // The DCE initialises its log format in the area GRUB allocated and zeroed.
    mem.place(layout::kEventLog,
              flavour == Flavour::amd
                  ? eventlog::make_skl_tpm20_log(layout::kEventLog, layout::kEventLogSize)
                  : eventlog::make_txt_sinit_log(layout::kEventLogSize),
              "DRTM event log");
}

}  // namespace

BootSetup grub_boot_linux(Flavour flavour, const DceInMemory& dce, const LinuxDlme& dlme) {
    const bool intel = flavour == Flavour::intel;
    BootSetup setup;
    auto& mem = setup.memory;

    const Bytes kernel = binary::read_file(dlme.kernel);
    const image::BzImage bz =
        binary::in_file(dlme.kernel.string(), [&] { return image::parse_bzimage(kernel); });
    setup.dlme_base = layout::kDlmeBase;
    setup.dlme_size = image::grub_protected_mode_size(bz, intel);
    setup.dlme_entry = bz.dlme_entry();

    Bytes initrd;
    if (dlme.initrd) initrd = binary::read_file(*dlme.initrd);
    const bool has_cmdline = !dlme.cmdline.empty();
    const std::uint64_t slrt_base = slrt_base_for(flavour, dce);

    // The SLRT and the zero page point at each other (AMD: the zero page's
    // setup_data list starts at the AMD_INFO entry), so lay the table out
    // once to learn where AMD_INFO lands, then build it for real.
    auto build_table = [&](std::uint64_t setup_data) {
        slrt::GrubLinuxPolicyInput in;
        in.slrt_base = slrt_base;
        in.boot_params = layout::kZeroPage;
        in.setup_data = setup_data;
        in.cmd_line_ptr = has_cmdline ? layout::kCmdline : 0;
        in.cmdline_size = bz.header.cmdline_size;
        in.ramdisk_image = dlme.initrd ? layout::kInitrd : 0;
        in.ramdisk_size = initrd.size();
        std::optional<slrt::Entry> platform;
        if (intel) {
            in.platform_entry = slrt::grub_txt_os_mle_policy_entry(
                layout::kTxtHeap, slrt::os_mle_size(slrt::OsMleLayout::spec));
            platform = intel_info_entry();
        } else {
            slrt::AmdInfo amd;
            amd.slrt_size = layout::kSlbSize - dce.slrt_offset;  // what GRUB writes
            amd.slrt_base = slrt_base;
            amd.boot_params_base = layout::kZeroPage;
            platform = amd;
        }
        auto dl = dl_info_for(flavour, dce, setup.dlme_size, setup.dlme_entry, 0);
        return slrt::grub_table(
            intel ? slrt::Architecture::intel_txt : slrt::Architecture::amd_skinit,
            layout::kSlrtSize, dl, log_info(), slrt::grub_linux_policy(in), platform);
    };
    slrt::Table table = build_table(0);
    std::uint64_t setup_data = 0;
    if (!intel) {
        // AMD_INFO is the last entry; its setup_data part starts after the 8-byte entry header.
        setup_data = slrt_base + table.entry_offset(table.entries.size() - 1) + 8;
        table = build_table(setup_data);
    }

    place_dce_and_slrt(mem, flavour, dce, table);
    setup.slrt_addr = slrt_base;
    if (intel)
        mem.place(layout::kTxtHeap, os_mle_bytes(slrt::OsMleLayout::spec, slrt_base),
                  "TXT heap (OS-MLE data)");

    image::GrubBootParamsInput bp;
    bp.protected_mode_base = layout::kDlmeBase;
    bp.intel_txt = intel;
    bp.cmd_line_ptr = has_cmdline ? layout::kCmdline : 0;
    bp.ramdisk_image = dlme.initrd ? layout::kInitrd : 0;
    bp.ramdisk_size = initrd.size();
    bp.setup_data = setup_data;
    bp.quiet = (" " + dlme.cmdline + " ").find(" quiet ") != std::string::npos;
    bp.e820 = e820_map();
    bp.vga_text = image::VgaText{};
    mem.place(layout::kZeroPage, image::build_grub_boot_params(kernel, bz, bp),
              "zero page (boot_params)");
    if (has_cmdline)
        mem.place(layout::kCmdline, image::grub_cmdline_buffer(dlme.cmdline, bz), "command line");
    Bytes loaded = image::grub_loaded_kernel(kernel, bz, setup.dlme_size);
    mem.place(layout::kDlmeBase, std::move(loaded), "kernel (protected-mode part)");
    const std::string initrd_sha = sha256_hex(initrd);
    if (dlme.initrd) mem.place(layout::kInitrd, std::move(initrd), "initrd");
    place_log(mem, flavour, setup);

    setup.description = {
        {"kind", "linux"},
        {"kernel",
         {{"file", dlme.kernel.string()},
          {"sha256", sha256_hex(kernel)},
          {"version", bz.kernel_version},
          {"boot_protocol", bz.header.version},
          {"setup_sects", bz.setup_sects},
          {"secure_launch_mle_header", bz.secure_launch_capable()}}},
        {"dlme",
         {{"base", setup.dlme_base}, {"size", setup.dlme_size}, {"entry", setup.dlme_entry}}},
        {"initrd", dlme.initrd
                       ? nlohmann::json{{"file", dlme.initrd->string()}, {"sha256", initrd_sha}}
                       : nlohmann::json(nullptr)},
        {"cmdline", dlme.cmdline},
    };
    return setup;
}

BootSetup grub_boot_xen(Flavour flavour, const DceInMemory& dce, const XenDlme& dlme) {
    const bool intel = flavour == Flavour::intel;
    BootSetup setup;
    auto& mem = setup.memory;

    const Bytes file = binary::read_file(dlme.xen);
    const image::XenImage xen =
        binary::in_file(dlme.xen.string(), [&] { return image::load_xen(file); });
    // With an MLE header (TrenchBoot Xen) GRUB takes the DLME range and entry
    // from it; a stock Xen has none, so the whole image is the DLME, entry 0.
    Bytes dlme_bytes = xen.image;
    if (xen.mle_header) {
        const auto& h = *xen.mle_header;
        dlme_bytes.assign(xen.image.begin() + h.mle_start,
                          xen.image.begin() + std::min<std::size_t>(h.mle_end, xen.image.size()));
        dlme_bytes.resize(h.mle_end - h.mle_start, 0);
        setup.dlme_entry = h.entry_point;
    }
    setup.dlme_base = layout::kDlmeBase;
    setup.dlme_size = dlme_bytes.size();

    // Modules, each at a 2 MiB boundary, as GRUB's relocator would place them.
    std::vector<slrt::MemoryRange> module_ranges;
    image::GrubMbiContents mbi_contents;
    mbi_contents.load_base_addr = static_cast<std::uint32_t>(layout::kDlmeBase);
    mbi_contents.cmdline = dlme.cmdline;
    mbi_contents.basic_meminfo = image::MbiMeminfo{0x9F000 / 1024, (0x7FC00000 - 0x100000) / 1024};
    for (const auto& e : e820_map()) mbi_contents.mmap.push_back({e.addr, e.size, e.type, 0});
    std::uint64_t next = layout::kModules;
    nlohmann::json modules_json = nlohmann::json::array();
    for (const auto& m : dlme.modules) {
        Bytes bytes = binary::read_file(m.file);
        module_ranges.push_back({next, bytes.size()});
        mbi_contents.modules.push_back({static_cast<std::uint32_t>(next),
                                        static_cast<std::uint32_t>(next + bytes.size()),
                                        m.cmdline});
        modules_json.push_back({{"file", m.file.string()},
                                {"cmdline", m.cmdline},
                                {"address", next},
                                {"size", bytes.size()},
                                {"sha256", sha256_hex(bytes)}});
        std::uint64_t size = bytes.size();
        mem.place(next, std::move(bytes), "module " + m.file.filename().string());
        next = align_up(next + size, 0x200000);
    }
    Bytes mbi = image::build_grub_mbi(mbi_contents);
    const std::uint64_t slrt_base = slrt_base_for(flavour, dce);

    slrt::GrubMb2PolicyInput in;
    in.mbi_addr = layout::kMbi;
    in.mbi_size = static_cast<std::uint32_t>(mbi.size());
    in.slrt_base = slrt_base;
    in.modules = module_ranges;
    std::optional<slrt::Entry> platform;
    if (intel) {
        in.txt_os_mle =
            slrt::MemoryRange{layout::kTxtHeap, slrt::os_mle_size(slrt::OsMleLayout::aem)};
        platform = intel_info_entry();
    } else {
        slrt::AmdInfo amd;  // AEM GRUB and Xen: header-only
        amd.layout = slrt::AmdInfoLayout::header_only;
        platform = amd;
    }
    auto dl = dl_info_for(flavour, dce, setup.dlme_size, setup.dlme_entry, layout::kMbi);
    slrt::Table table =
        slrt::grub_table(intel ? slrt::Architecture::intel_txt : slrt::Architecture::amd_skinit,
                         layout::kSlrtSize, dl, log_info(), slrt::grub_mb2_policy(in), platform);
    place_dce_and_slrt(mem, flavour, dce, table);
    setup.slrt_addr = slrt_base;
    if (intel)
        mem.place(layout::kTxtHeap, os_mle_bytes(slrt::OsMleLayout::aem, slrt_base),
                  "TXT heap (OS-MLE data)");
    mem.place(layout::kMbi, std::move(mbi), "Multiboot2 information");
    mem.place(layout::kDlmeBase, std::move(dlme_bytes), "Xen");
    place_log(mem, flavour, setup);

    setup.description = {
        {"kind", "xen"},
        {"xen",
         {{"file", dlme.xen.string()},
          {"sha256", sha256_hex(file)},
          {"gzip", xen.was_gzip},
          {"mle_header", xen.mle_header.has_value()}}},
        {"dlme",
         {{"base", setup.dlme_base}, {"size", setup.dlme_size}, {"entry", setup.dlme_entry}}},
        {"cmdline", dlme.cmdline},
        {"modules", modules_json},
    };
    return setup;
}

}  // namespace drtm::launch
