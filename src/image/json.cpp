#include "image/json.hpp"

#include <cstdio>

#include "binary/bytes.hpp"

#include "crypto/digest.hpp"

namespace drtm::image {

using nlohmann::json;

namespace {

std::string hex(std::uint64_t v) {
    return binary::hex_number(v);
}

std::string protocol(std::uint16_t v) {
    return std::to_string(v >> 8) + "." + std::to_string(v & 0xFF);
}

std::string sha256_hex(binary::ByteView data) {
    return binary::to_hex(crypto::hash(crypto::HashAlg::sha256, data));
}

}  // namespace

json to_json(const MleHeader& h) {
    return {{"offset", hex(h.offset)},
            {"header_len", hex(h.header_len)},
            {"version", hex(h.version)},
            {"entry_point", hex(h.entry_point)},
            {"first_valid_page", hex(h.first_valid_page)},
            {"mle_start", hex(h.mle_start)},
            {"mle_end", hex(h.mle_end)},
            {"capabilities", hex(h.capabilities)},
            {"cmdline_start", hex(h.cmdline_start)},
            {"cmdline_end", hex(h.cmdline_end)}};
}

json to_json(const BzImage& img) {
    const SetupHeader& h = img.header;
    json j = {{"type", "bzImage"},
              {"boot_protocol", protocol(h.version)},
              {"kernel_version", img.kernel_version},
              {"setup_sects", img.setup_sects},
              {"payload_offset", hex(img.payload_offset)},
              {"payload_size", hex(img.payload_size)},
              {"syssize", hex(h.syssize)},
              {"loadflags", hex(h.loadflags)},
              {"code32_start", hex(h.code32_start)},
              {"kernel_alignment", hex(h.kernel_alignment)},
              {"relocatable_kernel", h.relocatable_kernel != 0},
              {"xloadflags", hex(h.xloadflags)},
              {"cmdline_size", h.cmdline_size},
              {"pref_address", hex(h.pref_address)},
              {"init_size", hex(h.init_size)},
              {"kernel_info_offset", hex(h.kernel_info_offset)},
              {"secure_launch", img.secure_launch_capable()},
              {"dlme_entry", hex(img.dlme_entry())}};
    if (img.kernel_info) {
        json ki = {{"file_offset", hex(img.kernel_info->file_offset)},
                   {"size", img.kernel_info->size},
                   {"size_total", img.kernel_info->size_total}};
        if (img.kernel_info->setup_type_max)
            ki["setup_type_max"] = hex(*img.kernel_info->setup_type_max);
        if (img.kernel_info->mle_header_offset)
            ki["mle_header_offset"] = hex(*img.kernel_info->mle_header_offset);
        j["kernel_info"] = ki;
    }
    if (img.mle_header) j["mle_header"] = to_json(*img.mle_header);
    return j;
}

json to_json(const Multiboot2Header& h) {
    json tags = json::array();
    for (const Mb2HeaderTag& t : h.tags)
        tags.push_back({{"type", t.type},
                        {"name", multiboot2_header_tag_name(t.type)},
                        {"flags", t.flags},
                        {"size", t.size},
                        {"offset", hex(t.offset)}});
    json j = {{"offset", hex(h.offset)},
              {"architecture", h.architecture},
              {"header_length", h.header_length},
              {"checksum", hex(h.checksum)},
              {"tags", tags}};
    if (h.entry_addr) j["entry_addr"] = hex(*h.entry_addr);
    if (h.entry_addr_efi64) j["entry_addr_efi64"] = hex(*h.entry_addr_efi64);
    if (h.relocatable)
        j["relocatable"] = {{"min_addr", hex(h.relocatable->min_addr)},
                            {"max_addr", hex(h.relocatable->max_addr)},
                            {"align", hex(h.relocatable->align)},
                            {"preference", h.relocatable->preference}};
    return j;
}

json to_json(const XenImage& x) {
    json j = {{"type", "xen"},
              {"gzip", x.was_gzip},
              {"file_size", x.file_size},
              {"image_size", x.image.size()},
              {"elf", x.is_elf},
              {"image_sha256", sha256_hex(x.image)},
              {"multiboot2", to_json(x.multiboot2)}};
    if (x.mle_header) j["mle_header"] = to_json(*x.mle_header);
    return j;
}

json to_json(const Mbi& mbi) {
    json tags = json::array();
    for (const MbiTag& t : mbi.tags)
        tags.push_back({{"type", t.type},
                        {"name", mbi_tag_name(t.type)},
                        {"size", t.size},
                        {"offset", hex(t.offset)}});
    json modules = json::array();
    for (const MbiModule& m : mbi.modules)
        modules.push_back(
            {{"mod_start", hex(m.mod_start)}, {"mod_end", hex(m.mod_end)}, {"cmdline", m.cmdline}});
    json mmap = json::array();
    for (const MbiMmapEntry& e : mbi.mmap)
        mmap.push_back(
            {{"base_addr", hex(e.base_addr)}, {"length", hex(e.length)}, {"type", e.type}});
    json j = {{"total_size", mbi.total_size}, {"tags", tags}, {"modules", modules}, {"mmap", mmap}};
    if (mbi.cmdline) j["cmdline"] = *mbi.cmdline;
    if (mbi.boot_loader_name) j["boot_loader_name"] = *mbi.boot_loader_name;
    if (mbi.basic_meminfo)
        j["basic_meminfo"] = {{"mem_lower", mbi.basic_meminfo->mem_lower},
                              {"mem_upper", mbi.basic_meminfo->mem_upper}};
    if (mbi.load_base_addr) j["load_base_addr"] = hex(*mbi.load_base_addr);
    return j;
}

json to_json(const Slb& s) {
    return {{"type", "skl"},
            {"layout", s.layout == SlbLayout::compact ? "compact" : "amd_header"},
            {"entry", hex(s.entry)},
            {"measured_length", hex(s.measured_length)},
            {"skl_info_offset", hex(s.skl_info_offset)},
            {"bootloader_data_offset", hex(s.bootloader_data_offset)},
            {"skl_version", s.skl_version},
            {"file_size", hex(s.file_size)}};
}

json to_json(const Acm& a) {
    const AcmHeader& h = a.header;
    const AcmInfoTable& t = a.info_table;
    char date[16];
    std::snprintf(date, sizeof date, "%04x-%02x-%02x", h.date >> 16, (h.date >> 8) & 0xFF,
                  h.date & 0xFF);
    return {{"type", a.is_sinit() ? "sinit" : "acm"},
            {"module_type", h.module_type},
            {"module_subtype", h.module_subtype},
            {"header_len", h.header_len},
            {"header_version", hex(h.header_version)},
            {"chipset_id", hex(h.chipset_id)},
            {"flags", hex(h.flags)},
            {"debug_signed", a.debug_signed()},
            {"pre_production", a.pre_production()},
            {"module_vendor", hex(h.module_vendor)},
            {"date", date},
            {"size", hex(a.module_size)},
            {"txt_svn", h.txt_svn},
            {"se_svn", h.se_svn},
            {"code_control", hex(h.code_control)},
            {"error_entry_point", hex(h.error_entry_point)},
            {"gdt_limit", hex(h.gdt_limit)},
            {"gdt_base", hex(h.gdt_base)},
            {"seg_sel", hex(h.seg_sel)},
            {"entry_point", hex(h.entry_point)},
            {"key_size", h.key_size},
            {"scratch_size", h.scratch_size},
            {"user_area_offset", hex(a.user_area_offset)},
            {"trailing_bytes", a.trailing_bytes},
            {"info_table",
             {{"offset", hex(t.offset)},
              {"chipset_acm_type", hex(t.chipset_acm_type)},
              {"version", t.version},
              {"length", t.length},
              {"os_sinit_data_ver", t.os_sinit_data_ver},
              {"min_mle_hdr_ver", hex(t.min_mle_hdr_ver)},
              {"capabilities", hex(t.capabilities)},
              {"acm_ver", t.acm_ver}}}};
}

json describe_slb(binary::ByteView file, const Slb& slb) {
    json j = to_json(slb);
    j["measured_sha256"] = sha256_hex(slb_measured_part(file, slb));
    return j;
}

json describe_acm(binary::ByteView file, const Acm& acm) {
    json j = to_json(acm);
    j["sinit_hash_sha256"] = binary::to_hex(sinit_hash(crypto::HashAlg::sha256, file, acm));
    j["sinit_hash_sha1"] = binary::to_hex(sinit_hash(crypto::HashAlg::sha1, file, acm));
    return j;
}

json to_json(const ElfImage& e) {
    json sections = json::array();
    for (const auto& s : e.sections())
        sections.push_back({{"name", s.name},
                            {"type", s.type},
                            {"flags", hex(s.flags)},
                            {"addr", hex(s.addr)},
                            {"offset", hex(s.offset)},
                            {"size", hex(s.size)}});
    json segments = json::array();
    for (const auto& s : e.segments())
        segments.push_back({{"type", s.type},
                            {"flags", s.flags},
                            {"offset", hex(s.offset)},
                            {"vaddr", hex(s.vaddr)},
                            {"paddr", hex(s.paddr)},
                            {"filesz", hex(s.filesz)},
                            {"memsz", hex(s.memsz)}});
    json notes = json::array();
    for (const auto& n : e.notes())
        notes.push_back({{"name", n.name}, {"type", n.type}, {"desc", binary::to_hex(n.desc)}});
    json j = {{"class", e.is_64bit() ? 64 : 32},
              {"type", e.type()},
              {"machine", e.machine()},
              {"entry", hex(e.entry())},
              {"sections", sections},
              {"segments", segments},
              {"notes", notes},
              {"symbols", e.symbols().size()},
              {"end_of_image", hex(e.end_of_image())}};
    if (auto id = e.build_id()) j["build_id"] = binary::to_hex(*id);
    return j;
}

json describe_vmlinux(const VmlinuxImage& v) {
    auto elf = ElfImage::parse(v.elf);
    auto relocs = parse_x86_relocations(v.relocations, 0);
    json j = {{"compression", v.compression},
              {"payload_file_offset", hex(v.payload_file_offset)},
              {"payload_size", v.payload_size},
              {"elf_size", v.elf.size()},
              {"elf_sha256", sha256_hex(v.elf)},
              {"relocations",
               {{"bytes", v.relocations.size()},
                {"rel32", relocs.rel32.size()},
                {"inverse32", relocs.inverse32.size()},
                {"rel64", relocs.rel64.size()}}}};
    if (auto id = elf.build_id()) j["build_id"] = binary::to_hex(*id);
    if (const auto* text = elf.section(".text"))
        j["text"] = {{"addr", hex(text->addr)},
                     {"size", hex(text->size)},
                     {"sha256", sha256_hex(elf.contents(*text))}};
    return j;
}

}  // namespace drtm::image
