#include "slrt/table.hpp"

#include <cstdio>
#include <string>

#include "binary/error.hpp"
#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "slrt/errors.hpp"
#include "slrt/table_builder.hpp"

namespace drtm::slrt {

using binary::format_offset;
using binary::ParseError;
using binary::Reader;

std::uint32_t Table::size() const {
    std::uint64_t total = kTableHeaderSize + (end_entry ? kEntryHeaderSize : 0);
    for (const Entry& e : entries) total += entry_size(e);
    if (total > 0xFFFFFFFFu) throw BuildError("SLRT larger than 4 GiB");
    return static_cast<std::uint32_t>(total);
}

std::uint32_t Table::entry_offset(std::size_t index) const {
    std::uint64_t offset = kTableHeaderSize;
    for (std::size_t i = 0; i < index && i < entries.size(); ++i) offset += entry_size(entries[i]);
    return static_cast<std::uint32_t>(offset);
}

Bytes serialize(const Table& table) {
    if (table.end_entry) {
        TableBuilder builder(table.architecture, table.max_size);
        for (const Entry& e : table.entries) builder.add(e);
        return builder.bytes();
    }
    // No END entry (2023 layout): the header's size covers the entries only.
    std::uint32_t size = table.size();
    if (size > table.max_size)
        throw BuildError("SLRT of " + std::to_string(size) + " bytes exceeds max_size " +
                         std::to_string(table.max_size));
    binary::Writer w(size);
    w.u32le(kTableMagic);
    w.u16le(kTableRevision);
    w.u16le(static_cast<std::uint16_t>(table.architecture));
    w.u32le(size);
    w.u32le(table.max_size);
    for (const Entry& e : table.entries) w.bytes(encode_entry(e));
    return w.take();
}

namespace {

std::string entry_label(std::size_t index, std::uint32_t tag, std::size_t offset) {
    return "entry #" + std::to_string(index) + " (" + tag_name(tag) + ") at " +
           format_offset(offset);
}

}  // namespace

Table parse(ByteView data, const ParseOptions& options) {
    Reader r(data);
    if (data.size() < kTableHeaderSize)
        r.fail("truncated SLRT header: need 16 bytes, " + std::to_string(data.size()) + " given");
    std::uint32_t magic = r.u32le();
    if (magic != kTableMagic)
        r.fail_at(0, "bad SLRT magic " + binary::hex32(magic) +
                         ", expected 0x4452544d (\"MTRD\" in memory)");
    std::uint16_t revision = r.u16le();
    if (revision != kTableRevision)
        r.fail_at(4, "SLRT revision " + std::to_string(revision) + ", expected 1");
    std::uint16_t architecture = r.u16le();
    if (!is_known_architecture(architecture))
        r.fail_at(6, "unknown SLRT architecture " + std::to_string(architecture) +
                         " (1 = Intel TXT, 2 = AMD SKINIT)");
    std::uint32_t size = r.u32le();
    std::uint32_t max_size = r.u32le();
    if (size < kTableHeaderSize)
        r.fail_at(8, "SLRT size " + std::to_string(size) + " is below the 16-byte header");
    if (size > max_size)
        r.fail_at(8, "SLRT size " + std::to_string(size) + " exceeds max_size " +
                         std::to_string(max_size));
    if (size > data.size())
        r.fail_at(8, "SLRT size " + std::to_string(size) + " runs past the end of the data (" +
                         std::to_string(data.size()) + " bytes)");

    Table table;
    table.architecture = static_cast<Architecture>(architecture);
    table.max_size = max_size;
    table.end_entry = false;

    std::size_t pos = kTableHeaderSize;
    for (std::size_t index = 0; pos < size; ++index) {
        if (size - pos < kEntryHeaderSize)
            r.fail_at(pos, "entry #" + std::to_string(index) + ": " + std::to_string(size - pos) +
                               " bytes left before the table size, an entry header needs 8");
        r.seek(pos);
        std::uint32_t tag = r.u32le();
        std::uint32_t entry_size = r.u32le();
        std::string label = entry_label(index, tag, pos);
        if (entry_size < kEntryHeaderSize)
            r.fail_at(pos + 4, label + ": size " + std::to_string(entry_size) +
                                   " is below the 8-byte entry header");
        if (entry_size > size - pos)
            r.fail_at(pos + 4, label + ": size " + std::to_string(entry_size) +
                                   " runs past the table size " + std::to_string(size));
        if (tag == static_cast<std::uint32_t>(Tag::end)) {
            table.end_entry = true;
            break;
        }
        try {
            table.entries.push_back(decode_entry(data.subspan(pos, entry_size), pos, options));
        } catch (const ParseError& e) {
            throw ParseError(e.offset(), label + ": " + e.reason());
        }
        pos += entry_size;
    }
    return table;
}

}  // namespace drtm::slrt
