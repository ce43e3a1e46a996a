#include "image/xz.hpp"

#include <lzma.h>

#include <algorithm>
#include <string>

#include "binary/error.hpp"

namespace drtm::image {

using binary::ParseError;

bool looks_xz(binary::ByteView data) {
    static constexpr std::uint8_t kMagic[] = {0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00};
    return data.size() >= sizeof kMagic && std::equal(kMagic, kMagic + sizeof kMagic, data.begin());
}

namespace {

class Decoder {
  public:
    Decoder() {
        // The memory limit bounds what a hostile header can make liblzma
        // allocate (dictionary size); kernels use at most a few MiB.
        if (lzma_stream_decoder(&s_, 256u << 20, 0) != LZMA_OK) throw std::bad_alloc();
    }
    ~Decoder() { lzma_end(&s_); }
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;
    lzma_stream* operator->() { return &s_; }
    lzma_stream* get() { return &s_; }

  private:
    lzma_stream s_ = LZMA_STREAM_INIT;
};

std::string reason(lzma_ret rc) {
    switch (rc) {
        case LZMA_FORMAT_ERROR:
            return "not xz data";
        case LZMA_OPTIONS_ERROR:
            return "unsupported xz options";
        case LZMA_DATA_ERROR:
            return "corrupt xz data";
        case LZMA_BUF_ERROR:
            return "truncated xz data: the stream ends early";
        case LZMA_MEMLIMIT_ERROR:
            return "the xz stream needs more than 256 MiB of decoder memory";
        case LZMA_MEM_ERROR:
            return "out of memory decoding xz";
        default:
            return "xz decoder error " + std::to_string(static_cast<int>(rc));
    }
}

}  // namespace

XzResult unxz(binary::ByteView data, std::size_t max_output) {
    if (!looks_xz(data)) throw ParseError(0, "not xz data: expected fd 37 7a 58 5a 00");
    Decoder z;
    z->next_in = data.data();
    z->avail_in = data.size();
    XzResult r;
    constexpr std::size_t kChunk = 1 << 20;
    for (;;) {
        if (r.output.size() >= max_output) {
            // One more byte would exceed the cap: probe without keeping it.
            std::uint8_t probe;
            z->next_out = &probe;
            z->avail_out = 1;
            lzma_ret rc = lzma_code(z.get(), LZMA_FINISH);
            if (rc == LZMA_STREAM_END && z->avail_out == 1) break;
            if (z->avail_out == 0)
                throw ParseError(z->total_in, "decompressed size exceeds the cap of " +
                                                  std::to_string(max_output) + " bytes");
            throw ParseError(z->total_in, reason(rc));
        }
        std::size_t room = std::min(kChunk, max_output - r.output.size());
        std::size_t old = r.output.size();
        r.output.resize(old + room);
        z->next_out = r.output.data() + old;
        z->avail_out = room;
        lzma_ret rc = lzma_code(z.get(), LZMA_FINISH);
        r.output.resize(old + (room - z->avail_out));
        if (rc == LZMA_STREAM_END) break;
        if (rc != LZMA_OK) throw ParseError(z->total_in, reason(rc));
    }
    r.consumed = z->total_in;
    return r;
}

}  // namespace drtm::image
