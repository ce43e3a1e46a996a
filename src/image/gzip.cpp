#include "image/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <string>

#include "binary/error.hpp"

namespace drtm::image {

using binary::ParseError;

bool looks_gzip(binary::ByteView data) {
    return data.size() >= 3 && data[0] == 0x1F && data[1] == 0x8B && data[2] == 8;
}

namespace {

class Inflater {
  public:
    Inflater() {
        // 16 + MAX_WBITS: gzip wrapper only (no raw deflate, no zlib header).
        if (inflateInit2(&s_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
    }
    ~Inflater() { inflateEnd(&s_); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
    z_stream* operator->() { return &s_; }
    z_stream* get() { return &s_; }

  private:
    z_stream s_{};
};

std::string zlib_reason(int rc, const z_stream& s) {
    std::string what = s.msg ? s.msg : "zlib error " + std::to_string(rc);
    return "corrupt gzip data: " + what;
}

}  // namespace

binary::Bytes gunzip(binary::ByteView data, std::size_t max_output) {
    if (!looks_gzip(data))
        throw ParseError(0, "not gzip data: expected 1f 8b 08, got " + std::to_string(data.size()) +
                                "-byte input without that magic");
    if (data.size() > std::numeric_limits<uInt>::max())
        throw ParseError(0, "gzip input larger than 4 GiB");

    binary::Bytes out;
    std::size_t pos = 0;  // start of the current member
    constexpr std::size_t kChunk = 1 << 16;
    while (pos < data.size()) {
        Inflater z;
        z->next_in = const_cast<Bytef*>(data.data() + pos);
        z->avail_in = static_cast<uInt>(data.size() - pos);
        int rc = Z_OK;
        while (rc != Z_STREAM_END) {
            if (out.size() >= max_output) {
                // One more byte would exceed the cap: probe without keeping it.
                Bytef probe;
                z->next_out = &probe;
                z->avail_out = 1;
                rc = inflate(z.get(), Z_NO_FLUSH);
                if (z->avail_out == 0)
                    throw ParseError(pos + z->total_in, "decompressed size exceeds the cap of " +
                                                            std::to_string(max_output) + " bytes");
                if (rc == Z_STREAM_END) break;
                if (rc == Z_BUF_ERROR && z->avail_in == 0)
                    throw ParseError(data.size(), "truncated gzip data: the stream ends early");
                if (rc != Z_OK) throw ParseError(pos + z->total_in, zlib_reason(rc, *z.get()));
                continue;
            }
            std::size_t room = std::min(kChunk, max_output - out.size());
            std::size_t old = out.size();
            out.resize(old + room);
            z->next_out = out.data() + old;
            z->avail_out = static_cast<uInt>(room);
            rc = inflate(z.get(), Z_NO_FLUSH);
            out.resize(old + (room - z->avail_out));
            if (rc == Z_STREAM_END) break;
            if (rc == Z_BUF_ERROR && z->avail_in == 0)
                throw ParseError(data.size(), "truncated gzip data: the stream ends early");
            if (rc != Z_OK && rc != Z_BUF_ERROR)
                throw ParseError(pos + z->total_in, zlib_reason(rc, *z.get()));
        }
        pos += z->total_in;
        // Another member follows, or only zero padding is left.
        if (pos < data.size() && !looks_gzip(data.subspan(pos))) {
            for (std::size_t i = pos; i < data.size(); ++i)
                if (data[i] != 0)
                    throw ParseError(i, "unexpected data after the end of the gzip stream");
            break;
        }
    }
    return out;
}

}  // namespace drtm::image
