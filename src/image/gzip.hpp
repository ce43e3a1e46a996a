// gzip decompression with an output cap (xen.gz, compressed initrds). A
// corrupt or truncated stream is a ParseError at the input offset where zlib
// stopped; output beyond the cap is refused before it is allocated.
#pragma once

#include <cstddef>

#include "binary/bytes.hpp"

namespace drtm::image {

inline constexpr std::size_t kDefaultGunzipCap = 256u << 20;  // 256 MiB

// Magic 1F 8B and method 8 (deflate).
bool looks_gzip(binary::ByteView data);

// Decompresses every gzip member in `data` (concatenated members, as gzip
// writes them, are joined). Zero bytes after the last member are accepted as
// padding; anything else is an error.
binary::Bytes gunzip(binary::ByteView data, std::size_t max_output = kDefaultGunzipCap);

}  // namespace drtm::image
