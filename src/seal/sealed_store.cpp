#include "seal/sealed_store.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "binary/file_io.hpp"

namespace drtm::seal {

namespace {
constexpr const char* kFile = "sealed.json";
constexpr int kFormatVersion = 1;
}  // namespace

void save_sealed(const std::filesystem::path& dir, const SealedSecret& s) {
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [pcr, v] : s.sealed_values.at(s.selection.bank))
        values[std::to_string(pcr)] = binary::to_hex(v);
    nlohmann::json j = {{"format", "drtm-sealed"},
                        {"version", kFormatVersion},
                        {"mode", "pcr"},
                        {"bank", crypto::alg_name(s.selection.bank)},
                        {"pcrs", s.selection.pcrs},
                        {"values", values},
                        {"policy", binary::to_hex(s.policy)},
                        {"origin", s.origin},
                        {"public", binary::to_hex(s.object.public_area)},
                        {"private", binary::to_hex(s.object.private_area)}};
    binary::write_file_atomic(dir / kFile, std::string_view(j.dump(2) + "\n"));
}

SealedSecret load_sealed(const std::filesystem::path& dir) {
    const auto path = dir / kFile;
    auto bytes = binary::read_file(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(path.string() + ": offset " + std::to_string(e.byte) +
                                 ": not valid JSON");
    }
    auto field = [&](const char* key) -> const nlohmann::json& {
        if (!j.is_object() || !j.contains(key))
            throw std::runtime_error(path.string() + ": missing '" + key + "'");
        return j[key];
    };
    try {
        if (field("format") != "drtm-sealed" || field("version") != kFormatVersion)
            throw std::runtime_error("not a drtm sealed secret of format version " +
                                     std::to_string(kFormatVersion));
        if (field("mode") != "pcr")
            throw std::runtime_error("unsupported mode " + field("mode").dump());
        SealedSecret s;
        auto bank = crypto::alg_from_name(field("bank").get<std::string>());
        if (!bank) throw std::runtime_error("unknown bank " + field("bank").dump());
        s.selection.bank = *bank;
        s.selection.pcrs = field("pcrs").get<std::vector<std::uint32_t>>();
        for (const auto& [k, v] : field("values").items())
            s.sealed_values[*bank][static_cast<std::uint32_t>(std::stoul(k))] =
                binary::from_hex(v.get<std::string>());
        s.policy = binary::from_hex(field("policy").get<std::string>());
        s.origin = field("origin").get<std::string>();
        s.object.public_area = binary::from_hex(field("public").get<std::string>());
        s.object.private_area = binary::from_hex(field("private").get<std::string>());
        return s;
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        if (what.rfind(path.string(), 0) == 0) throw;
        throw std::runtime_error(path.string() + ": " + what);
    } catch (const std::exception& e) {
        throw std::runtime_error(path.string() + ": " + e.what());
    }
}

}  // namespace drtm::seal
