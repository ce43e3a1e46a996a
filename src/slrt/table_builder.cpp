#include "slrt/table_builder.hpp"

#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "slrt/entry_codec.hpp"
#include "slrt/errors.hpp"

namespace drtm::slrt {

namespace {
constexpr std::uint32_t kEmptyTableSize = kTableHeaderSize + kEntryHeaderSize;
}

TableBuilder::TableBuilder(Architecture architecture, std::uint32_t max_size)
    : max_size_(max_size) {
    if (max_size < kEmptyTableSize)
        throw BuildError("SLRT max_size " + std::to_string(max_size) +
                         " is below the 24 bytes of an empty table");
    binary::Writer w(kEmptyTableSize);
    w.u32le(kTableMagic);
    w.u16le(kTableRevision);
    w.u16le(static_cast<std::uint16_t>(architecture));
    w.u32le(kEmptyTableSize);
    w.u32le(max_size);
    w.u32le(static_cast<std::uint32_t>(Tag::end));
    w.u32le(kEntryHeaderSize);
    buf_ = w.take();
}

void TableBuilder::add(const Entry& entry) {
    add_encoded(encode_entry(entry));
}

void TableBuilder::add_encoded(ByteView entry) {
    if (entry.size() < kEntryHeaderSize) throw BuildError("an SLRT entry needs its 8-byte header");
    binary::Reader r(entry);
    std::uint32_t tag = r.u32le();
    std::uint32_t size = r.u32le();
    if (size != entry.size())
        throw BuildError(tag_name(tag) + " entry header says " + std::to_string(size) +
                         " bytes but " + std::to_string(entry.size()) + " were given");
    if (tag == static_cast<std::uint32_t>(Tag::end) ||
        tag == static_cast<std::uint32_t>(Tag::invalid))
        throw BuildError("cannot add an entry tagged " + tag_name(tag));
    std::uint64_t new_size = std::uint64_t{this->size()} + size;
    if (new_size > max_size_)
        throw BuildError("adding " + tag_name(tag) + " (" + std::to_string(size) +
                         " bytes) to an SLRT of " + std::to_string(this->size()) +
                         " bytes exceeds max_size " + std::to_string(max_size_));
    // Overwrite the END entry with the new one, then write END after it.
    buf_.resize(buf_.size() - kEntryHeaderSize);
    buf_.insert(buf_.end(), entry.begin(), entry.end());
    binary::Writer end;
    end.u32le(static_cast<std::uint32_t>(Tag::end));
    end.u32le(kEntryHeaderSize);
    buf_.insert(buf_.end(), end.data().begin(), end.data().end());
    patch_size();
}

void TableBuilder::patch_size() {
    std::uint32_t size = this->size();
    for (int i = 0; i < 4; ++i) buf_[8 + i] = static_cast<std::uint8_t>(size >> (8 * i));
}

Bytes TableBuilder::memory_image() const {
    Bytes image(max_size_, 0);
    std::copy(buf_.begin(), buf_.end(), image.begin());
    return image;
}

}  // namespace drtm::slrt
