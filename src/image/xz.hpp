// xz decompression with an output cap (Linux bzImage payloads: the kernel is
// built with KERNEL_XZ, an .xz stream with the x86 BCJ filter, followed by
// the 4-byte uncompressed size the build appends). One stream only: what
// follows it is returned to the caller, not parsed as xz.
#pragma once

#include <cstddef>

#include "binary/bytes.hpp"

namespace drtm::image {

inline constexpr std::size_t kDefaultUnxzCap = 512u << 20;  // 512 MiB

// Magic FD 37 7A 58 5A 00.
bool looks_xz(binary::ByteView data);

struct XzResult {
    binary::Bytes output;
    std::size_t consumed = 0;  // input bytes the stream occupied
};

// A corrupt or truncated stream is a ParseError at the input offset where
// liblzma stopped; output beyond the cap is refused.
XzResult unxz(binary::ByteView data, std::size_t max_output = kDefaultUnxzCap);

}  // namespace drtm::image
