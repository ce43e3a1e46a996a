#include "image/elf.hpp"

#include <algorithm>
#include <string>

#include "binary/error.hpp"
#include "binary/reader.hpp"

namespace drtm::image {

using binary::ByteView;
using binary::ParseError;
using binary::Reader;

bool looks_elf(ByteView data) {
    return data.size() >= 4 && data[0] == 0x7F && data[1] == 'E' && data[2] == 'L' &&
           data[3] == 'F';
}

namespace {

// A word of the file's class: 4 bytes in ELF32, 8 in ELF64.
std::uint64_t word(Reader& r, bool is64) {
    return is64 ? r.u64le() : r.u32le();
}

// The range [offset, offset + size) must lie inside the file.
void require_in_file(ByteView file, std::uint64_t offset, std::uint64_t size, std::size_t at,
                     const std::string& what) {
    if (offset > file.size() || size > file.size() - offset)
        throw ParseError(at, what + " (offset " + binary::format_offset(offset) + ", " +
                                 std::to_string(size) + " bytes) lies outside the " +
                                 std::to_string(file.size()) + "-byte file");
}

std::string string_at(ByteView table, std::uint64_t index, std::size_t table_offset,
                      const char* what) {
    if (index >= table.size())
        throw ParseError(table_offset, std::string(what) + " name index " + std::to_string(index) +
                                           " is outside its string table");
    auto begin = table.begin() + static_cast<std::ptrdiff_t>(index);
    // Names are short; a cap stops many entries naming one huge string from
    // multiplying the file's size in memory.
    constexpr std::size_t kMaxName = 4096;
    auto limit = table.size() - index > kMaxName ? begin + kMaxName : table.end();
    auto end = std::find(begin, limit, 0);
    if (end == limit && limit != table.end())
        throw ParseError(table_offset + index, std::string(what) + " name is longer than " +
                                                   std::to_string(kMaxName) + " bytes");
    if (end == table.end())
        throw ParseError(table_offset + index,
                         std::string(what) + " name is not NUL-terminated in its string table");
    return std::string(begin, end);
}

std::vector<ElfNote> parse_notes(ByteView bytes, std::size_t base) {
    std::vector<ElfNote> out;
    Reader r(bytes, base);
    while (r.remaining() >= 12) {
        auto namesz = r.u32le();
        auto descsz = r.u32le();
        ElfNote n;
        n.type = r.u32le();
        // Name and descriptor are each padded to 4 bytes; a last note may
        // omit its final padding.
        auto padded = [&](std::uint32_t size, const char* what) {
            auto field = r.bytes(size, what);
            r.skip(std::min<std::size_t>((4 - size % 4) % 4, r.remaining()));
            return field;
        };
        auto name = padded(namesz, "note name");
        auto desc = padded(descsz, "note descriptor");
        n.name.assign(name.begin(), std::find(name.begin(), name.end(), 0));
        n.desc.assign(desc.begin(), desc.end());
        out.push_back(std::move(n));
    }
    return out;
}

}  // namespace

ElfImage ElfImage::parse(ByteView file) {
    if (!looks_elf(file)) throw ParseError(0, "not an ELF file: expected 7f 45 4c 46");
    Reader r(file);
    r.skip(4);
    auto cls = r.u8();
    if (cls != 1 && cls != 2)
        throw ParseError(4, "ELF class " + std::to_string(cls) + " is neither 1 (32) nor 2 (64)");
    auto data = r.u8();
    if (data != 1)
        throw ParseError(
            5, "only little-endian ELF is supported (EI_DATA " + std::to_string(data) + ")");
    ElfImage e;
    e.file_ = file;
    e.is_64bit_ = cls == 2;
    r.seek(16);
    e.type_ = r.u16le();
    e.machine_ = r.u16le();
    r.u32le();  // e_version
    e.entry_ = word(r, e.is_64bit_);
    const std::size_t phoff_at = r.offset();
    auto phoff = word(r, e.is_64bit_);
    const std::size_t shoff_at = r.offset();
    auto shoff = word(r, e.is_64bit_);
    r.u32le();  // e_flags
    r.u16le();  // e_ehsize
    const std::size_t phentsize_at = r.offset();
    auto phentsize = r.u16le();
    auto phnum = r.u16le();
    const std::size_t shentsize_at = r.offset();
    auto shentsize = r.u16le();
    auto shnum = r.u16le();
    const std::size_t shstrndx_at = r.offset();
    auto shstrndx = r.u16le();
    const std::size_t want_ph = e.is_64bit_ ? 56 : 32, want_sh = e.is_64bit_ ? 64 : 40;

    e.end_ = r.offset();
    if (phnum > 0) {
        if (phentsize != want_ph)
            throw ParseError(phentsize_at, "program header size " + std::to_string(phentsize) +
                                               ", expected " + std::to_string(want_ph));
        require_in_file(file, phoff, std::uint64_t(phnum) * phentsize, phoff_at,
                        "the program header table");
        for (std::size_t i = 0; i < phnum; ++i) {
            Reader p(file.subspan(phoff + i * phentsize, phentsize), phoff + i * phentsize);
            ElfSegment s;
            s.type = p.u32le();
            if (e.is_64bit_) {
                s.flags = p.u32le();
                s.offset = p.u64le();
                s.vaddr = p.u64le();
                s.paddr = p.u64le();
                s.filesz = p.u64le();
                s.memsz = p.u64le();
                s.align = p.u64le();
            } else {
                s.offset = p.u32le();
                s.vaddr = p.u32le();
                s.paddr = p.u32le();
                s.filesz = p.u32le();
                s.memsz = p.u32le();
                s.flags = p.u32le();
                s.align = p.u32le();
            }
            require_in_file(file, s.offset, s.filesz, phoff + i * phentsize,
                            "segment " + std::to_string(i));
            e.segments_.push_back(s);
        }
        e.end_ = std::max<std::size_t>(e.end_, phoff + std::size_t(phnum) * phentsize);
    }

    if (shnum > 0) {
        if (shentsize != want_sh)
            throw ParseError(shentsize_at, "section header size " + std::to_string(shentsize) +
                                               ", expected " + std::to_string(want_sh));
        require_in_file(file, shoff, std::uint64_t(shnum) * shentsize, shoff_at,
                        "the section header table");
        std::vector<std::uint32_t> name_index;
        for (std::size_t i = 0; i < shnum; ++i) {
            Reader s(file.subspan(shoff + i * shentsize, shentsize), shoff + i * shentsize);
            ElfSection sec;
            name_index.push_back(s.u32le());
            sec.type = s.u32le();
            sec.flags = word(s, e.is_64bit_);
            sec.addr = word(s, e.is_64bit_);
            sec.offset = word(s, e.is_64bit_);
            sec.size = word(s, e.is_64bit_);
            sec.link = s.u32le();
            sec.info = s.u32le();
            sec.addralign = word(s, e.is_64bit_);
            sec.entsize = word(s, e.is_64bit_);
            if (sec.type != kShtNobits)
                require_in_file(file, sec.offset, sec.size, shoff + i * shentsize,
                                "section " + std::to_string(i));
            e.sections_.push_back(sec);
        }
        if (shstrndx == 0xFFFF)
            throw ParseError(shstrndx_at, "extended section numbering is not supported");
        if (shstrndx >= shnum)
            throw ParseError(shstrndx_at, "section name table index " + std::to_string(shstrndx) +
                                              " is not below the section count " +
                                              std::to_string(shnum));
        const auto& names = e.sections_[shstrndx];
        if (names.type == kShtNobits || names.type == 0)
            throw ParseError(shstrndx_at, "the section name table has no bytes in the file");
        auto table = file.subspan(names.offset, names.size);
        for (std::size_t i = 0; i < shnum; ++i)
            e.sections_[i].name = string_at(table, name_index[i], names.offset, "section");
        e.end_ = std::max<std::size_t>(e.end_, shoff + std::size_t(shnum) * shentsize);
    }

    // Symbols of every SHT_SYMTAB (one in practice), names from its linked table.
    for (const auto& sec : e.sections_) {
        if (sec.type != kShtSymtab) continue;
        const std::size_t entry = e.is_64bit_ ? 24 : 16;
        if (sec.link >= e.sections_.size())
            throw ParseError(sec.offset, "symbol table '" + sec.name + "' links to section " +
                                             std::to_string(sec.link) + ", which does not exist");
        const auto& strtab = e.sections_[sec.link];
        if (strtab.type == kShtNobits || strtab.type == 0)
            throw ParseError(sec.offset, "symbol table '" + sec.name +
                                             "' links to a string table with no bytes in the file");
        auto strings = file.subspan(strtab.offset, strtab.size);
        for (std::size_t off = 0; off + entry <= sec.size; off += entry) {
            Reader s(file.subspan(sec.offset + off, entry), sec.offset + off);
            ElfSymbol sym;
            auto name = s.u32le();
            if (e.is_64bit_) {
                auto info = s.u8();
                s.u8();  // st_other
                sym.section_index = s.u16le();
                sym.value = s.u64le();
                sym.size = s.u64le();
                sym.type = info & 0xF;
                sym.bind = info >> 4;
            } else {
                sym.value = s.u32le();
                sym.size = s.u32le();
                auto info = s.u8();
                s.u8();
                sym.section_index = s.u16le();
                sym.type = info & 0xF;
                sym.bind = info >> 4;
            }
            sym.name = string_at(strings, name, strtab.offset, "symbol");
            e.symbols_.push_back(std::move(sym));
        }
    }

    // Notes from the note sections, or from PT_NOTE when sections are absent.
    std::size_t note_bytes = 0;
    for (const auto& sec : e.sections_) {
        if (sec.type != kShtNote) continue;
        // Overlapping note sections could repeat one big descriptor.
        note_bytes += sec.size;
        if (note_bytes > file.size())
            throw ParseError(sec.offset,
                             "note sections overlap (more note bytes than the file has)");
        for (auto& n : parse_notes(file.subspan(sec.offset, sec.size), sec.offset))
            e.notes_.push_back(std::move(n));
    }
    if (e.sections_.empty())
        for (const auto& seg : e.segments_)
            if (seg.type == kPtNote)
                for (auto& n : parse_notes(file.subspan(seg.offset, seg.filesz), seg.offset))
                    e.notes_.push_back(std::move(n));
    for (const auto& sec : e.sections_)
        if (sec.type != kShtNobits) e.end_ = std::max<std::size_t>(e.end_, sec.offset + sec.size);
    return e;
}

const ElfSection* ElfImage::section(std::string_view name) const {
    for (const auto& s : sections_)
        if (s.name == name) return &s;
    return nullptr;
}

ByteView ElfImage::contents(const ElfSection& s) const {
    if (s.type == kShtNobits || s.type == 0) return {};
    return file_.subspan(s.offset, s.size);
}

ByteView ElfImage::bytes_at(std::uint64_t va, std::size_t n) const {
    for (const auto& s : sections_) {
        if (!(s.flags & kShfAlloc) || s.type == kShtNobits || s.type == 0 || !s.contains(va))
            continue;
        if (n > s.size - (va - s.addr))
            throw ParseError(s.offset + (va - s.addr),
                             std::to_string(n) + " bytes at " + binary::format_offset(va) +
                                 " run past the end of section " + s.name);
        return file_.subspan(s.offset + (va - s.addr), n);
    }
    throw ParseError(0, "no section of the image holds address " + binary::format_offset(va));
}

ByteView ElfImage::load_bytes_at(std::uint64_t va, std::size_t n) const {
    for (const auto& g : segments_) {
        if (g.type != kPtLoad || va < g.vaddr || va - g.vaddr >= g.filesz) continue;
        if (n > g.filesz - (va - g.vaddr))
            throw ParseError(g.offset + (va - g.vaddr),
                             std::to_string(n) + " bytes at " + binary::format_offset(va) +
                                 " run past the file bytes of their segment");
        return file_.subspan(g.offset + (va - g.vaddr), n);
    }
    throw ParseError(0, "no loadable segment holds address " + binary::format_offset(va));
}

const ElfSymbol* ElfImage::symbol(std::string_view name) const {
    for (const auto& s : symbols_)
        if (s.name == name) return &s;
    return nullptr;
}

std::optional<binary::Bytes> ElfImage::build_id() const {
    for (const auto& n : notes_)
        if (n.name == "GNU" && n.type == kNtGnuBuildId) return n.desc;
    return std::nullopt;
}

}  // namespace drtm::image
