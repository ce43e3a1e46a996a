#include "tpm/tcti_spec.hpp"

#include <map>
#include <sstream>
#include <stdexcept>

namespace drtm::tpm {

namespace {
std::map<std::string, std::string> key_values(const std::string& conf) {
    std::map<std::string, std::string> out;
    std::stringstream ss(conf);
    std::string item;
    while (std::getline(ss, item, ',')) {
        auto eq = item.find('=');
        if (eq == std::string::npos) continue;
        out[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return out;
}
}  // namespace

TctiSpec parse_tcti(const std::string& text) {
    if (text.empty()) throw std::invalid_argument("empty TCTI string");
    TctiSpec spec;
    auto colon = text.find(':');
    spec.name = text.substr(0, colon);
    spec.conf = colon == std::string::npos ? "" : text.substr(colon + 1);
    spec.full = text;
    if (spec.name.empty())
        throw std::invalid_argument("TCTI string '" + text + "' has no TCTI name");
    if (spec.name == "swtpm") {
        auto kv = key_values(spec.conf);
        if (kv.count("path") == 0 && kv.count("port") == 0 && !spec.conf.empty())
            throw std::invalid_argument("swtpm TCTI '" + text + "' needs path=SOCKET or port=N");
    }
    return spec;
}

std::optional<ControlEndpoint> TctiSpec::swtpm_control() const {
    if (name != "swtpm") return std::nullopt;
    auto kv = key_values(conf);
    ControlEndpoint ep;
    if (auto it = kv.find("path"); it != kv.end()) {
        ep.unix_path = it->second + ".ctrl";
        return ep;
    }
    ep.host = kv.count("host") ? kv["host"] : "127.0.0.1";
    unsigned long port = kv.count("port") ? std::stoul(kv["port"]) : 2321;
    if (port >= 65535) throw std::invalid_argument("swtpm port out of range in '" + full + "'");
    ep.port = static_cast<std::uint16_t>(port + 1);
    return ep;
}

std::optional<std::string> TctiSpec::lock_path() const {
    if (name != "swtpm") return std::nullopt;
    auto kv = key_values(conf);
    if (auto it = kv.find("path"); it != kv.end()) return it->second + ".lock";
    return std::nullopt;
}

}  // namespace drtm::tpm
