// Whole-file reads and atomic writes. A crash or a full disk never leaves a
// half-written log, SLRT or summary behind: we write a temporary file in the
// same directory, fsync it, and rename it over the target.
#pragma once

#include <filesystem>
#include <string_view>

#include "binary/bytes.hpp"

namespace drtm::binary {

// Throws std::runtime_error naming the file and the OS reason.
Bytes read_file(const std::filesystem::path& path);
// The same, refusing a file of more than `max_bytes` before it is read into
// memory (regular files by their size; pseudo-files such as securityfs by
// stopping at max_bytes + 1). `what` names the data in the error.
Bytes read_file(const std::filesystem::path& path, std::size_t max_bytes, std::string_view what);
// The same, as text (JSON documents, PEM files).
std::string read_text_file(const std::filesystem::path& path);
// `mode` applies to the new file (0600 for secrets).
void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode = 0644);
void write_file_atomic(const std::filesystem::path& path, std::string_view text,
                       unsigned mode = 0644);

}  // namespace drtm::binary
