#include "binary/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace drtm::binary {

namespace {
std::runtime_error os_error(const std::filesystem::path& path, const char* what) {
    return std::runtime_error(path.string() + ": " + what + ": " + std::strerror(errno));
}
}  // namespace

Bytes read_file(const std::filesystem::path& path) {
    return read_file(path, std::numeric_limits<std::size_t>::max() - 1, "the file");
}

Bytes read_file(const std::filesystem::path& path, std::size_t max_bytes, std::string_view what) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw os_error(path, "cannot open");
    auto too_big = [&] {
        ::close(fd);
        return std::runtime_error(path.string() + ": " + std::string(what) + " is larger than " +
                                  std::to_string(max_bytes) + " bytes, the limit; not reading it");
    };
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<std::uint64_t>(st.st_size) > max_bytes)
        throw too_big();
    Bytes out;
    std::uint8_t buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            ::close(fd);
            errno = saved;
            throw os_error(path, "cannot read");
        }
        if (n == 0) break;
        if (static_cast<std::size_t>(n) > max_bytes - out.size()) throw too_big();
        out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
}

std::string read_text_file(const std::filesystem::path& path) {
    auto bytes = read_file(path);
    return std::string(bytes.begin(), bytes.end());
}

void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode) {
    std::filesystem::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw os_error(tmp, "cannot create");
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            errno = saved;
            throw os_error(path, "cannot write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int saved = errno;
        ::unlink(tmp.c_str());
        errno = saved;
        throw os_error(path, "cannot flush");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(tmp.c_str());
        errno = saved;
        throw os_error(path, "cannot rename into place");
    }
    // The rename is durable only once the directory entry is: without this a
    // power cut can bring back the old file after we reported success.
    auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view text, unsigned mode) {
    write_file_atomic(path, as_bytes(text), mode);
}

}  // namespace drtm::binary
