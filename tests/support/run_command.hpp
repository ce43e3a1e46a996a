// Runs a command line as a user would, capturing exit status, stdout and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace testsupport {

struct CommandResult {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

inline CommandResult run_command(const std::string& cmd) {
    CommandResult r;
    char tmpl[] = "/tmp/drtm-stderr-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ::close(fd);
    std::string full = cmd + " 2>" + tmpl;
    FILE* p = ::popen(full.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream e(tmpl);
    std::stringstream ss;
    ss << e.rdbuf();
    r.err = ss.str();
    std::remove(tmpl);
    return r;
}

inline std::string drtm_cmd(const std::string& args) {
    return std::string(DRTM_BINARY) + " " + args;
}

}  // namespace testsupport
