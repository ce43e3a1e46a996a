// `drtm verifier serve` in the background for CLI tests: started on an
// ephemeral port (read from its port file), stopped with SIGTERM.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "binary/file_io.hpp"
#include "support/run_command.hpp"

namespace testsupport {

// `drtm verifier serve` in the background; stopped with SIGTERM.
class ServeProcess {
  public:
    ServeProcess(const std::filesystem::path& dir, const std::string& extra)
        : port_file_(dir / "port") {
        std::filesystem::remove(port_file_);
        auto r = run_command(drtm_cmd("verifier serve --dir " + quote(dir.string()) +
                                      " --listen 127.0.0.1:0 --port-file " +
                                      quote(port_file_.string()) + " " + extra) +
                             " >/dev/null 2>" + quote((dir / "serve.log").string()) + " & echo $!");
        pid_ = std::stoi(r.out);
        for (int i = 0; i < 100 && !std::filesystem::exists(port_file_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        auto text = drtm::binary::read_file(port_file_);
        port_ = std::stoi(std::string(text.begin(), text.end()));
    }
    ~ServeProcess() { stop(); }
    int stop() {
        if (pid_ <= 0) return 0;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        bool gone = ::kill(pid_, 0) != 0;
        pid_ = 0;
        return gone ? 0 : 1;
    }
    std::string url() const { return "https://localhost:" + std::to_string(port_); }

  private:
    std::filesystem::path port_file_;
    int pid_ = 0;
    int port_ = 0;
};

}  // namespace testsupport
