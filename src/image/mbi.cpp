#include "image/mbi.hpp"

#include <string>

#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "image/errors.hpp"

namespace drtm::image {

using binary::Bytes;
using binary::ByteView;
using binary::Reader;

namespace {

constexpr std::size_t kMmapEntrySize = 24;

std::size_t align8(std::size_t v) {
    return (v + 7) & ~std::size_t{7};
}

void append_tag(Bytes& out, std::uint32_t type, ByteView payload) {
    if (payload.size() > 0xFFFFFFF0u) throw BuildError("MBI tag larger than 4 GiB");
    binary::Writer w;
    w.u32le(type);
    w.u32le(static_cast<std::uint32_t>(8 + payload.size()));
    w.bytes(payload);
    w.zeros(align8(w.size()) - w.size());
    out.insert(out.end(), w.data().begin(), w.data().end());
}

Bytes with_nul(std::string_view s) {
    if (s.find('\0') != std::string_view::npos) throw BuildError("MBI string contains a NUL byte");
    Bytes b(s.begin(), s.end());
    b.push_back(0);
    return b;
}

std::string read_string(Reader& body, const char* what) {
    ByteView rest = body.bytes(body.remaining(), what);
    for (std::size_t i = 0; i < rest.size(); ++i)
        if (rest[i] == 0) return std::string(rest.begin(), rest.begin() + static_cast<long>(i));
    body.fail_at(body.position() - rest.size(), std::string(what) + " is not NUL-terminated");
}

}  // namespace

std::string mbi_tag_name(std::uint32_t type) {
    switch (type) {
        case mbi_tag::end:
            return "end";
        case mbi_tag::cmdline:
            return "cmdline";
        case mbi_tag::boot_loader_name:
            return "boot_loader_name";
        case mbi_tag::module:
            return "module";
        case mbi_tag::basic_meminfo:
            return "basic_meminfo";
        case mbi_tag::bootdev:
            return "bootdev";
        case mbi_tag::mmap:
            return "mmap";
        case mbi_tag::vbe:
            return "vbe";
        case mbi_tag::framebuffer:
            return "framebuffer";
        case mbi_tag::elf_sections:
            return "elf_sections";
        case mbi_tag::apm:
            return "apm";
        case mbi_tag::efi32:
            return "efi32";
        case mbi_tag::efi64:
            return "efi64";
        case mbi_tag::smbios:
            return "smbios";
        case mbi_tag::acpi_old:
            return "acpi_old";
        case mbi_tag::acpi_new:
            return "acpi_new";
        case mbi_tag::network:
            return "network";
        case mbi_tag::efi_mmap:
            return "efi_mmap";
        case mbi_tag::efi_bs:
            return "efi_bs";
        case mbi_tag::efi32_ih:
            return "efi32_ih";
        case mbi_tag::efi64_ih:
            return "efi64_ih";
        case mbi_tag::load_base_addr:
            return "load_base_addr";
    }
    return "tag " + std::to_string(type);
}

MbiBuilder& MbiBuilder::cmdline(std::string_view text) {
    append_tag(tags_, mbi_tag::cmdline, with_nul(text));
    return *this;
}

MbiBuilder& MbiBuilder::boot_loader_name(std::string_view name) {
    append_tag(tags_, mbi_tag::boot_loader_name, with_nul(name));
    return *this;
}

MbiBuilder& MbiBuilder::module(const MbiModule& m) {
    if (m.mod_end < m.mod_start) throw BuildError("MBI module ends before it starts");
    binary::Writer w;
    w.u32le(m.mod_start);
    w.u32le(m.mod_end);
    w.bytes(with_nul(m.cmdline));
    append_tag(tags_, mbi_tag::module, w.data());
    return *this;
}

MbiBuilder& MbiBuilder::basic_meminfo(const MbiMeminfo& info) {
    binary::Writer w;
    w.u32le(info.mem_lower);
    w.u32le(info.mem_upper);
    append_tag(tags_, mbi_tag::basic_meminfo, w.data());
    return *this;
}

MbiBuilder& MbiBuilder::mmap(const std::vector<MbiMmapEntry>& entries) {
    binary::Writer w;
    w.u32le(kMmapEntrySize);
    w.u32le(0);  // entry_version
    for (const MbiMmapEntry& e : entries) {
        w.u64le(e.base_addr);
        w.u64le(e.length);
        w.u32le(e.type);
        w.u32le(e.reserved);
    }
    append_tag(tags_, mbi_tag::mmap, w.data());
    return *this;
}

MbiBuilder& MbiBuilder::load_base_addr(std::uint32_t addr) {
    binary::Writer w;
    w.u32le(addr);
    append_tag(tags_, mbi_tag::load_base_addr, w.data());
    return *this;
}

MbiBuilder& MbiBuilder::tag(std::uint32_t type, ByteView payload) {
    if (type == mbi_tag::end) throw BuildError("the END tag is added by finish()");
    append_tag(tags_, type, payload);
    return *this;
}

Bytes MbiBuilder::finish() const {
    std::size_t total = 8 + tags_.size() + 8;
    if (total > 0xFFFFFFFFu) throw BuildError("MBI larger than 4 GiB");
    binary::Writer w(total);
    w.u32le(static_cast<std::uint32_t>(total));
    w.u32le(0);
    w.bytes(tags_);
    w.u32le(mbi_tag::end);
    w.u32le(8);
    return w.take();
}

Bytes build_grub_mbi(const GrubMbiContents& c) {
    MbiBuilder b;
    if (c.load_base_addr) b.load_base_addr(*c.load_base_addr);
    b.cmdline(c.cmdline);
    b.boot_loader_name(c.boot_loader_name);
    for (const MbiModule& m : c.modules) b.module(m);
    if (!c.mmap.empty()) b.mmap(c.mmap);
    if (c.basic_meminfo) b.basic_meminfo(*c.basic_meminfo);
    return b.finish();
}

Mbi parse_mbi(ByteView data) {
    Reader r(data);
    Mbi mbi;
    mbi.total_size = r.u32le();
    mbi.reserved = r.u32le();
    if (mbi.total_size < 16)
        r.fail_at(0, "MBI total_size " + std::to_string(mbi.total_size) +
                         " is below 16 (header + END tag)");
    if (mbi.total_size > data.size())
        r.fail_at(0, "MBI total_size " + std::to_string(mbi.total_size) + " runs past the " +
                         std::to_string(data.size()) + " bytes given");
    const std::size_t end = mbi.total_size;
    std::size_t pos = 8;
    bool saw_end = false;
    while (pos < end) {
        if (end - pos < 8) r.fail_at(pos, "MBI tag header cut short by total_size");
        r.seek(pos);
        MbiTag tag;
        tag.offset = pos;
        tag.type = r.u32le();
        tag.size = r.u32le();
        std::string what = "MBI " + mbi_tag_name(tag.type) + " tag";
        if (tag.size < 8)
            r.fail_at(pos + 4, what + " size " + std::to_string(tag.size) + " is below 8");
        if (tag.size > end - pos)
            r.fail_at(pos + 4,
                      what + " size " + std::to_string(tag.size) + " runs past total_size");
        if (tag.type == mbi_tag::end) {
            saw_end = true;
            break;
        }
        ByteView body_bytes = r.bytes(tag.size - 8, "tag body");
        tag.data.assign(body_bytes.begin(), body_bytes.end());
        Reader body(body_bytes, pos + 8);
        switch (tag.type) {
            case mbi_tag::cmdline:
                mbi.cmdline = read_string(body, "cmdline");
                break;
            case mbi_tag::boot_loader_name:
                mbi.boot_loader_name = read_string(body, "boot loader name");
                break;
            case mbi_tag::module: {
                MbiModule m;
                m.mod_start = body.u32le();
                m.mod_end = body.u32le();
                m.cmdline = read_string(body, "module cmdline");
                mbi.modules.push_back(std::move(m));
                break;
            }
            case mbi_tag::basic_meminfo: {
                MbiMeminfo info;
                info.mem_lower = body.u32le();
                info.mem_upper = body.u32le();
                mbi.basic_meminfo = info;
                break;
            }
            case mbi_tag::mmap: {
                std::uint32_t entry_size = body.u32le();
                body.u32le();  // entry_version
                if (entry_size < kMmapEntrySize || body.remaining() % entry_size != 0)
                    body.fail_at(0, "MBI mmap entry_size " + std::to_string(entry_size) +
                                        " does not divide the " + std::to_string(body.remaining()) +
                                        " bytes of entries");
                while (!body.at_end()) {
                    Reader e = body.sub(entry_size, "mmap entry");
                    MbiMmapEntry m;
                    m.base_addr = e.u64le();
                    m.length = e.u64le();
                    m.type = e.u32le();
                    m.reserved = e.u32le();
                    mbi.mmap.push_back(m);
                }
                break;
            }
            case mbi_tag::load_base_addr:
                mbi.load_base_addr = body.u32le();
                break;
            default:
                break;
        }
        pos += align8(tag.size);
        mbi.tags.push_back(std::move(tag));
    }
    if (!saw_end) r.fail_at(0, "MBI has no END tag within total_size");
    return mbi;
}

}  // namespace drtm::image
