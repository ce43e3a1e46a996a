// Stream sockets by path, as QEMU offers its monitor (QMP) and its gdbstub:
// connecting while QEMU may still be creating the socket, and sending a
// whole request.
#pragma once

#include <filesystem>
#include <string_view>

namespace drtm::inspect {

// A connected socket's descriptor (close-on-exec). Retries every 20 ms while
// the socket is missing or refuses, until timeout_ms has passed (0: one
// attempt); then throws std::runtime_error naming the path and the reason.
int connect_unix_stream(const std::filesystem::path& socket, int timeout_ms);

// Sends all of `data` (never raising SIGPIPE); throws std::runtime_error.
void send_all(int fd, std::string_view data);

}  // namespace drtm::inspect
