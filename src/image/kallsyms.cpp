#include "image/kallsyms.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "binary/error.hpp"
#include "image/elf.hpp"

namespace drtm::image {

using binary::ByteView;
using binary::ParseError;

namespace {

std::uint16_t u16_at(ByteView d, std::size_t p) {
    return static_cast<std::uint16_t>(d[p] | d[p + 1] << 8);
}
std::uint32_t u32_at(ByteView d, std::size_t p) {
    return d[p] | d[p + 1] << 8 | d[p + 2] << 16 | std::uint32_t(d[p + 3]) << 24;
}
std::uint64_t u64_at(ByteView d, std::size_t p) {
    return u32_at(d, p) | std::uint64_t(u32_at(d, p + 4)) << 32;
}

// Tokens are fragments of symbol names, and names are at most
// KSYM_NAME_LEN (512) characters: longer ones mean a forged table, and the
// caps stop one name from expanding to gigabytes.
constexpr std::size_t kMaxToken = 256;
constexpr std::size_t kMaxName = 1024;

struct TokenTable {
    std::size_t table = 0;  // positions in .rodata
    std::size_t index = 0;
    std::array<std::string, 256> tokens;
};

// The 256 NUL-terminated tokens ending just before `end` (at most 15 bytes
// of alignment earlier), whose offsets are `idx`.
std::optional<TokenTable> tokens_before(ByteView ro, std::size_t index_pos,
                                        const std::array<std::uint16_t, 256>& idx) {
    for (std::size_t pad = 0; pad < 16 && pad < index_pos; ++pad) {
        const std::size_t end = index_pos - pad;  // one past the last token's NUL
        if (ro[end - 1] != 0) continue;
        std::size_t z = end - 1;  // find the start of the last token
        while (z > 0 && ro[z - 1] != 0 && end - z < kMaxToken) --z;
        if (z == end - 1 || z < idx[255]) continue;
        const std::size_t table = z - idx[255];
        TokenTable t;
        bool ok = true;
        for (std::size_t i = 0; i < 256 && ok; ++i) {
            const std::size_t s = table + idx[i];
            const std::size_t e = i < 255 ? table + idx[i + 1] - 1 : end - 1;
            if (e <= s || e - s > kMaxToken || ro[e] != 0) ok = false;
            for (std::size_t k = s; ok && k < e; ++k)
                if (ro[k] == 0) ok = false;
            if (ok) t.tokens[i].assign(ro.begin() + s, ro.begin() + e);
        }
        if (!ok) continue;
        t.table = table;
        t.index = index_pos;
        return t;
    }
    return std::nullopt;
}

// kallsyms_token_index: u16[256], first 0, each next at least 2 more (a
// token has at least one character and its NUL), preceded by the table.
std::optional<TokenTable> find_token_table(ByteView ro) {
    std::array<std::uint16_t, 256> idx{};
    for (std::size_t p = 16; p + 512 <= ro.size(); p += 2) {
        if (u16_at(ro, p) != 0) continue;
        bool increasing = true;
        idx[0] = 0;
        for (std::size_t i = 1; i < 256 && increasing; ++i) {
            idx[i] = u16_at(ro, p + 2 * i);
            if (idx[i] < idx[i - 1] + 2) increasing = false;
        }
        if (!increasing) continue;
        if (auto t = tokens_before(ro, p, idx)) return t;
    }
    return std::nullopt;
}

struct NameStream {
    std::size_t end = 0;                 // one past the last name
    std::vector<std::uint32_t> markers;  // offset of every 256th name
};

// Decodes `count` names starting at `start` without expanding them; nullopt
// as soon as a name is impossible (past `limit`, or not starting with a
// symbol-type letter).
std::optional<NameStream> walk_names(ByteView ro, std::size_t start, std::uint32_t count,
                                     std::size_t limit, const TokenTable& t) {
    NameStream s;
    std::size_t pos = start;
    for (std::uint32_t i = 0; i < count; ++i) {
        if (i % 256 == 0) s.markers.push_back(static_cast<std::uint32_t>(pos - start));
        if (pos >= limit) return std::nullopt;
        std::size_t len = ro[pos++];
        if (len & 0x80) {
            if (pos >= limit) return std::nullopt;
            len = (len & 0x7F) | std::size_t(ro[pos++]) << 7;
        }
        if (len == 0 || len > limit - pos) return std::nullopt;
        const auto& first = t.tokens[ro[pos]];
        if (!std::isalpha(static_cast<unsigned char>(first[0]))) return std::nullopt;
        pos += len;
    }
    s.end = pos;
    return s;
}

std::string expand(ByteView ro, std::size_t& pos, const TokenTable& t, std::size_t at) {
    std::size_t len = ro[pos++];
    if (len & 0x80) len = (len & 0x7F) | std::size_t(ro[pos++]) << 7;
    std::string out;
    for (std::size_t k = 0; k < len; ++k) {
        out += t.tokens[ro[pos++]];
        if (out.size() > kMaxName)
            throw ParseError(
                at, "a kallsyms name expands past " + std::to_string(kMaxName) + " characters");
    }
    return out;
}

std::size_t align_up(std::size_t v, std::size_t a) {
    return (v + a - 1) / a * a;
}

}  // namespace

KernelSymbols::KernelSymbols(std::vector<KernelSymbol> symbols) : symbols_(std::move(symbols)) {
    std::stable_sort(symbols_.begin(), symbols_.end(),
                     [](const auto& a, const auto& b) { return a.address < b.address; });
    by_name_.reserve(symbols_.size());
    for (const auto& s : symbols_) by_name_.emplace(s.name, s.address);
}

std::optional<std::uint64_t> KernelSymbols::address(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
}

std::uint64_t KernelSymbols::require(std::string_view name) const {
    if (auto a = address(name)) return *a;
    throw std::runtime_error("the kernel's symbol table has no '" + std::string(name) + "'");
}

std::span<const KernelSymbol> KernelSymbols::at(std::uint64_t address) const {
    auto first =
        std::lower_bound(symbols_.begin(), symbols_.end(), address,
                         [](const KernelSymbol& s, std::uint64_t a) { return s.address < a; });
    auto last = first;
    while (last != symbols_.end() && last->address == address) ++last;
    return {first, last};
}

const KernelSymbol* KernelSymbols::containing(std::uint64_t address) const {
    auto it =
        std::upper_bound(symbols_.begin(), symbols_.end(), address,
                         [](std::uint64_t a, const KernelSymbol& s) { return a < s.address; });
    return it == symbols_.begin() ? nullptr : &*std::prev(it);
}

std::optional<std::uint64_t> KernelSymbols::next_after(std::uint64_t address) const {
    auto it =
        std::upper_bound(symbols_.begin(), symbols_.end(), address,
                         [](std::uint64_t a, const KernelSymbol& s) { return a < s.address; });
    if (it == symbols_.end()) return std::nullopt;
    return it->address;
}

std::string KernelSymbols::symbolize(std::uint64_t address) const {
    const auto* s = containing(address);
    if (!s) return binary::format_offset(address);
    auto off = address - s->address;
    return off == 0 ? s->name : s->name + "+" + binary::format_offset(off);
}

KernelSymbols decode_kallsyms(const ElfImage& elf, KallsymsLayout* layout_out) {
    const auto* rodata = elf.section(".rodata");
    if (!rodata) throw ParseError(0, "the kernel image has no .rodata section");
    const ByteView ro = elf.contents(*rodata);
    const std::uint64_t va = rodata->addr;
    auto fail = [&](const std::string& why) -> ParseError {
        return ParseError(rodata->offset, "no kallsyms table in .rodata: " + why);
    };

    auto tokens = find_token_table(ro);
    if (!tokens) throw fail("no token table (u16[256] index after 256 NUL-terminated tokens)");

    // num_syms, 8-byte aligned (by address), with the names right after it.
    for (std::size_t q = 0; q + 16 <= tokens->table; q += 4) {
        if ((va + q) % 8 != 0) continue;
        const std::uint32_t n = u32_at(ro, q);
        if (n == 0 || n > (tokens->table - q) / 2) continue;
        const std::size_t names = q + 8;
        auto stream = walk_names(ro, names, n, tokens->table, *tokens);
        if (!stream) continue;
        // The markers follow the names (8-byte aligned) and must all agree.
        const std::size_t markers = align_up(stream->end, 4);
        std::size_t found = 0;
        for (std::size_t m = markers;
             m < markers + 8 && m + 4 * stream->markers.size() <= tokens->table; m += 4) {
            bool all = true;
            for (std::size_t k = 0; k < stream->markers.size() && all; ++k)
                all = u32_at(ro, m + 4 * k) == stream->markers[k];
            if (all) {
                found = m;
                break;
            }
        }
        if (!found || q < 8 + 4 * std::size_t(n)) continue;
        // The token table follows the markers, after kallsyms_seqs_of_names
        // (3 bytes a symbol) in kernels that have it, and alignment.
        const std::size_t gap = tokens->table - (found + 4 * stream->markers.size());
        if (!(gap < 8 || (gap >= 3 * std::size_t(n) && gap - 3 * std::size_t(n) < 16))) continue;

        KallsymsLayout l;
        l.count = n;
        l.num_syms_at = va + q;
        l.relative_base_at = va + q - 8;
        l.relative_base = u64_at(ro, q - 8);
        const std::size_t offsets = (q - 8 - 4 * std::size_t(n)) / 8 * 8;
        l.offsets = va + offsets;
        l.names = va + names;
        l.markers = va + found;
        l.token_table = va + tokens->table;
        l.token_index = va + tokens->index;
        l.absolute_percpu = elf.machine() == 62;  // KALLSYMS_ABSOLUTE_PERCPU: x86-64 SMP

        std::vector<KernelSymbol> symbols;
        symbols.reserve(n);
        std::size_t pos = names;
        for (std::uint32_t i = 0; i < n; ++i) {
            auto text = expand(ro, pos, *tokens, rodata->offset + pos);
            KernelSymbol s;
            s.type = text[0];
            s.name = text.substr(1);
            const auto raw = static_cast<std::int32_t>(u32_at(ro, offsets + 4 * std::size_t(i)));
            if (l.absolute_percpu)
                s.address = raw >= 0 ? static_cast<std::uint64_t>(raw)
                                     : l.relative_base - 1 - static_cast<std::int64_t>(raw);
            else
                s.address = l.relative_base + static_cast<std::uint32_t>(raw);
            symbols.push_back(std::move(s));
        }
        if (layout_out) *layout_out = l;
        return KernelSymbols(std::move(symbols));
    }
    throw fail("no symbol count whose names end at matching markers");
}

}  // namespace drtm::image
