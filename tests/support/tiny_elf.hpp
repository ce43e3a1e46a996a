// A small, valid ELF32 or ELF64 (little-endian) built field by field from the
// System V gABI, for the ELF parser's tests. Tests check it with binutils'
// readelf, so neither the builder nor the parser is its own reference.
//
// Layout: ELF header, one PT_LOAD and one PT_NOTE program header, .text
// (16 bytes at kTextAddr), .note.gnu.build-id (build-id 01..14), .bss, .symtab
// (null + "start" + "data_obj"), .strtab, .shstrtab, .rodata (the bytes given
// to with_rodata, 8-byte aligned, at kRodataAddr; empty by default), then the
// section headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "binary/bytes.hpp"

namespace testsupport {

inline constexpr std::uint64_t kTextAddr = 0xffffffff81000000ull;
inline constexpr std::uint32_t kTextAddr32 = 0x00200000;
inline constexpr std::uint64_t kRodataAddr = 0xffffffff82000000ull;
inline constexpr std::uint32_t kRodataAddr32 = 0x00400000;

class TinyElf {
  public:
    explicit TinyElf(bool is64) : is64_(is64) {}
    TinyElf& with_rodata(drtm::binary::Bytes bytes) {
        rodata_ = std::move(bytes);
        return *this;
    }

    drtm::binary::Bytes build() const {
        const std::uint64_t text_addr = is64_ ? kTextAddr : kTextAddr32;
        const std::size_t eh = is64_ ? 64 : 52, ph = is64_ ? 56 : 32, sh = is64_ ? 64 : 40;
        Bytes text;
        for (int i = 0; i < 16; ++i) text.push_back(static_cast<std::uint8_t>(0x90 + (i == 15)));
        Bytes note;
        put32(note, 4);   // namesz "GNU\0"
        put32(note, 20);  // descsz
        put32(note, 3);   // NT_GNU_BUILD_ID
        note.insert(note.end(), {'G', 'N', 'U', 0});
        for (int i = 1; i <= 20; ++i) note.push_back(static_cast<std::uint8_t>(i));
        const std::string strtab("\0start\0data_obj\0", 16);
        const std::string shstrtab(
            "\0.text\0.note.gnu.build-id\0.bss\0.symtab\0.strtab\0.shstrtab\0.rodata\0", 65);
        auto name = [&](const char* n) {
            return static_cast<std::uint32_t>(shstrtab.find(std::string(n) + '\0'));
        };
        Bytes symtab;
        const std::size_t symsize = is64_ ? 24 : 16;
        symtab.resize(symsize, 0);  // the null symbol
        sym(symtab, 1, text_addr, 16, 0x12 /* GLOBAL FUNC */, 1);
        sym(symtab, 7, text_addr + 0x100, 8, 0x11 /* GLOBAL OBJECT */, 3);

        // File layout.
        std::size_t off = eh + 2 * ph;
        const std::size_t text_off = off;
        off += text.size();
        const std::size_t note_off = off;
        off += note.size();
        const std::size_t symtab_off = off;
        off += symtab.size();
        const std::size_t strtab_off = off;
        off += strtab.size();
        const std::size_t shstrtab_off = off;
        off += shstrtab.size();
        while (off % 8) ++off;
        const std::size_t rodata_off = off;
        off += rodata_.size();
        while (off % 8) ++off;
        const std::size_t shoff = off;

        Bytes f;
        f.insert(f.end(), {0x7F, 'E', 'L', 'F', static_cast<std::uint8_t>(is64_ ? 2 : 1), 1, 1, 0});
        f.resize(16, 0);
        put16(f, 2);               // ET_EXEC
        put16(f, is64_ ? 62 : 3);  // EM_X86_64 / EM_386
        put32(f, 1);               // EV_CURRENT
        word(f, text_addr);        // e_entry
        word(f, eh);               // e_phoff
        word(f, shoff);            // e_shoff
        put32(f, 0);               // e_flags
        put16(f, static_cast<std::uint16_t>(eh));
        put16(f, static_cast<std::uint16_t>(ph));
        put16(f, 2);
        put16(f, static_cast<std::uint16_t>(sh));
        put16(f, 8);  // sections
        put16(f, 6);  // .shstrtab
        phdr(f, 1, 5, text_off, text_addr, text_addr - (is64_ ? 0xffffffff80000000ull : 0),
             text.size(), 0x200);
        phdr(f, 4, 4, note_off, text_addr + 16, 0, note.size(), 0);
        f.insert(f.end(), text.begin(), text.end());
        f.insert(f.end(), note.begin(), note.end());
        f.insert(f.end(), symtab.begin(), symtab.end());
        f.insert(f.end(), strtab.begin(), strtab.end());
        f.insert(f.end(), shstrtab.begin(), shstrtab.end());
        f.resize(rodata_off, 0);
        f.insert(f.end(), rodata_.begin(), rodata_.end());
        f.resize(shoff, 0);
        shdr(f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        shdr(f, name(".text"), 1, 6, text_addr, text_off, text.size(), 0, 0, 16, 0);
        shdr(f, name(".note.gnu.build-id"), 7, 2, text_addr + 16, note_off, note.size(), 0, 0, 4,
             0);
        shdr(f, name(".bss"), 8, 3, text_addr + 0x100, note_off + note.size(), 0x40, 0, 0, 8, 0);
        shdr(f, name(".symtab"), 2, 0, 0, symtab_off, symtab.size(), 5, 1, 8, symsize);
        shdr(f, name(".strtab"), 3, 0, 0, strtab_off, strtab.size(), 0, 0, 1, 0);
        shdr(f, name(".shstrtab"), 3, 0, 0, shstrtab_off, shstrtab.size(), 0, 0, 1, 0);
        shdr(f, name(".rodata"), 1, 2, is64_ ? kRodataAddr : kRodataAddr32, rodata_off,
             rodata_.size(), 0, 0, 8, 0);
        return f;
    }

  private:
    using Bytes = drtm::binary::Bytes;
    static void put16(Bytes& b, std::uint16_t v) {
        b.push_back(v & 0xFF);
        b.push_back(v >> 8);
    }
    static void put32(Bytes& b, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    static void put64(Bytes& b, std::uint64_t v) {
        for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void word(Bytes& b, std::uint64_t v) const {
        is64_ ? put64(b, v) : put32(b, static_cast<std::uint32_t>(v));
    }
    void sym(Bytes& b, std::uint32_t name, std::uint64_t value, std::uint64_t size,
             std::uint8_t info, std::uint16_t shndx) const {
        put32(b, name);
        if (is64_) {
            b.push_back(info);
            b.push_back(0);
            put16(b, shndx);
            put64(b, value);
            put64(b, size);
        } else {
            put32(b, static_cast<std::uint32_t>(value));
            put32(b, static_cast<std::uint32_t>(size));
            b.push_back(info);
            b.push_back(0);
            put16(b, shndx);
        }
    }
    void phdr(Bytes& b, std::uint32_t type, std::uint32_t flags, std::uint64_t offset,
              std::uint64_t vaddr, std::uint64_t paddr, std::uint64_t size,
              std::uint64_t align) const {
        put32(b, type);
        if (is64_) {
            put32(b, flags);
            put64(b, offset);
            put64(b, vaddr);
            put64(b, paddr);
            put64(b, size);
            put64(b, size);
            put64(b, align);
        } else {
            put32(b, static_cast<std::uint32_t>(offset));
            put32(b, static_cast<std::uint32_t>(vaddr));
            put32(b, static_cast<std::uint32_t>(paddr));
            put32(b, static_cast<std::uint32_t>(size));
            put32(b, static_cast<std::uint32_t>(size));
            put32(b, flags);
            put32(b, static_cast<std::uint32_t>(align));
        }
    }
    void shdr(Bytes& b, std::uint32_t name, std::uint32_t type, std::uint64_t flags,
              std::uint64_t addr, std::uint64_t offset, std::uint64_t size, std::uint32_t link,
              std::uint32_t info, std::uint64_t align, std::uint64_t entsize) const {
        put32(b, name);
        put32(b, type);
        word(b, flags);
        word(b, addr);
        word(b, offset);
        word(b, size);
        put32(b, link);
        put32(b, info);
        word(b, align);
        word(b, entsize);
    }
    bool is64_;
    drtm::binary::Bytes rodata_;
};

}  // namespace testsupport
