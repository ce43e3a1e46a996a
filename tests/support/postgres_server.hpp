// A throwaway PostgreSQL 15 server for tests and benchmarks: initdb into a
// private directory, listening on a Unix socket only (no TCP port to clash
// with), fsync off (the data is discarded). Started once per process and
// stopped at exit. As root, the server runs as the `postgres` user (initdb
// refuses root). The PostgreSQL binaries come from scripts/install-deps.sh;
// their absence is a test failure, not a skip.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "support/run_command.hpp"

namespace testsupport {

class PostgresServer {
  public:
    static PostgresServer& instance() {
        static PostgresServer server;
        return server;
    }

    // A URL for a new, empty database on the server.
    std::string new_database() {
        const std::string name = "drtm_test_" + std::to_string(++databases_);
        auto r = run_command(as_owner(bin("psql") + " -h " + quote(dir_) +
                                      " -U postgres -d postgres -q -c " +
                                      quote("CREATE DATABASE " + name)));
        if (r.status != 0) throw std::runtime_error("CREATE DATABASE failed: " + r.err);
        return url(name);
    }
    std::string url(const std::string& database) const {
        return "postgresql:///" + database + "?host=" + dir_ + "&user=postgres";
    }

    ~PostgresServer() {
        run_command(
            as_owner(bin("pg_ctl") + " -D " + quote(dir_ + "/data") + " -m immediate stop"));
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

  private:
    PostgresServer() {
        if (!std::filesystem::exists(bin("initdb")))
            throw std::runtime_error(bin("initdb") +
                                     " missing: run scripts/install-deps.sh (postgresql-15)");
        dir_ = "/tmp/drtm-pg-" + std::to_string(::getpid());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        if (::geteuid() == 0) run_command("chown postgres: " + quote(dir_));
        auto r = run_command(as_owner(bin("initdb") + " -D " + quote(dir_ + "/data") +
                                      " -U postgres -A trust --no-sync -E UTF8"));
        if (r.status != 0) throw std::runtime_error("initdb failed: " + r.out + r.err);
        r = run_command(as_owner(
            bin("pg_ctl") + " -D " + quote(dir_ + "/data") + " -l " + quote(dir_ + "/log") +
            " -w -o " +
            quote("-c listen_addresses='' -k " + dir_ + " -c fsync=off -c max_connections=200") +
            " start"));
        if (r.status != 0) throw std::runtime_error("pg_ctl start failed: " + r.out + r.err);
    }
    static std::string bin(const std::string& tool) { return "/usr/lib/postgresql/15/bin/" + tool; }
    static std::string as_owner(const std::string& cmd) {
        return ::geteuid() == 0 ? "runuser -u postgres -- " + cmd : cmd;
    }

    std::string dir_;
    int databases_ = 0;
};

}  // namespace testsupport
