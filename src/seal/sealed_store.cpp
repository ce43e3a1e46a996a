#include "seal/sealed_store.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "binary/file_io.hpp"
#include "eventlog/json.hpp"
#include "tpm/object_names.hpp"

namespace drtm::seal {

namespace {
constexpr const char* kFile = "sealed.json";
constexpr int kFormatVersion = 1;

using nlohmann::json;

json values_json(const PcrSelection& sel, const tpm::PcrBanks& values) {
    json out = json::object();
    for (const auto& [pcr, v] : values.at(sel.bank)) out[std::to_string(pcr)] = binary::to_hex(v);
    return out;
}

// Reads fields with errors that name the field; the caller prefixes the file.
struct Fields {
    const json& j;
    const std::string where;
    const json& at(const char* key) const {
        if (!j.is_object() || !j.contains(key))
            throw std::runtime_error(where + "missing '" + key + "'");
        return j.at(key);
    }
    std::string str(const char* key) const {
        const auto& v = at(key);
        if (!v.is_string()) throw std::runtime_error(where + "'" + key + "' is not a string");
        return v.get<std::string>();
    }
    binary::Bytes hex(const char* key) const {
        try {
            return binary::from_hex(str(key));
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(where + "'" + key + "': " + e.what());
        }
    }
};

PcrSelection selection_from(const Fields& f) {
    PcrSelection sel;
    auto bank = crypto::alg_from_name(f.str("bank"));
    if (!bank) throw std::runtime_error(f.where + "unknown bank " + f.at("bank").dump());
    sel.bank = *bank;
    try {
        sel.pcrs = eventlog::pcr_indices_from_json(f.at("pcrs"));
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(f.where + e.what());
    }
    if (sel.pcrs.empty()) throw std::runtime_error(f.where + "no PCRs selected");
    return sel;
}

tpm::PcrBanks values_from(const Fields& f, const PcrSelection& sel) {
    tpm::PcrBanks values;
    for (const auto& [k, v] : f.at("values").items()) {
        if (!v.is_string()) throw std::runtime_error(f.where + "PCR " + k + " is not a hex string");
        values[sel.bank][static_cast<std::uint32_t>(std::stoul(k))] =
            binary::from_hex(v.get<std::string>());
    }
    for (auto p : sel.pcrs)
        if (!values[sel.bank].count(p))
            throw std::runtime_error(f.where + "no value for PCR " + std::to_string(p));
    return values;
}

json authorization_json(const Authorization& a) {
    return {{"bank", crypto::alg_name(a.selection.bank)},
            {"pcrs", a.selection.pcrs},
            {"values", values_json(a.selection, a.values)},
            {"counter_limit", a.counter_limit},
            {"policy", binary::to_hex(a.approved_policy)},
            {"signature", binary::to_hex(a.signature)},
            {"origin", a.origin},
            {"created", a.created}};
}

Authorization authorization_from(const json& j, std::size_t n) {
    Fields f{j, "authorizations[" + std::to_string(n) + "]: "};
    Authorization a;
    a.selection = selection_from(f);
    a.values = values_from(f, a.selection);
    if (!f.at("counter_limit").is_number_unsigned())
        throw std::runtime_error(f.where + "'counter_limit' is not an unsigned number");
    a.counter_limit = f.at("counter_limit").get<std::uint64_t>();
    a.approved_policy = f.hex("policy");
    a.signature = f.hex("signature");
    a.origin = f.str("origin");
    a.created = f.str("created");
    return a;
}

// The authPolicy inside the marshalled TPM2B_PUBLIC: the TPM enforces that
// one, so it must be the one the file claims.
binary::Bytes object_auth_policy(binary::ByteView tpm2b_public) {
    // TPM2B_PUBLIC: size(2) type(2) nameAlg(2) attributes(4) authPolicy(2+n)
    if (tpm2b_public.size() < 12) throw std::runtime_error("'public' is too short");
    std::size_t n = (static_cast<std::size_t>(tpm2b_public[10]) << 8) | tpm2b_public[11];
    if (tpm2b_public.size() < 12 + n) throw std::runtime_error("'public' is truncated");
    return binary::Bytes(tpm2b_public.begin() + 12, tpm2b_public.begin() + 12 + n);
}
}  // namespace

void save_sealed(const std::filesystem::path& dir, const SealedSecret& s) {
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    json j = {{"format", "drtm-sealed"},
              {"version", kFormatVersion},
              {"mode", s.mode == SealMode::pcr ? "pcr" : "authorized"},
              {"bank", crypto::alg_name(s.selection.bank)},
              {"pcrs", s.selection.pcrs},
              {"policy", binary::to_hex(s.policy)},
              {"public", binary::to_hex(s.object.public_area)},
              {"private", binary::to_hex(s.object.private_area)}};
    if (s.mode == SealMode::pcr) {
        j["values"] = values_json(s.selection, s.sealed_values);
        j["origin"] = s.origin;
    } else {
        const auto& a = s.authorized.value();
        j["key"] = {{"public", binary::to_hex(a.key_public)},
                    {"name", binary::to_hex(a.key_name)},
                    {"file", a.key_file}};
        j["counter"] = {{"index", binary::hex32(a.nv_index)}, {"name", binary::to_hex(a.nv_name)}};
        j["authorizations"] = json::array();
        for (const auto& auth : a.authorizations)
            j["authorizations"].push_back(authorization_json(auth));
    }
    binary::write_file_atomic(dir / kFile, std::string_view(j.dump(2) + "\n"));
}

SealedSecret load_sealed(const std::filesystem::path& dir) {
    const auto path = dir / kFile;
    auto bytes = binary::read_file(path);
    json j;
    try {
        j = json::parse(bytes.begin(), bytes.end());
    } catch (const json::parse_error& e) {
        throw std::runtime_error(path.string() + ": offset " + std::to_string(e.byte) +
                                 ": not valid JSON");
    }
    try {
        Fields f{j, ""};
        if (f.at("format") != "drtm-sealed" || f.at("version") != kFormatVersion)
            throw std::runtime_error("not a drtm sealed secret of format version " +
                                     std::to_string(kFormatVersion));
        SealedSecret s;
        auto mode = f.str("mode");
        if (mode == "pcr") {
            s.mode = SealMode::pcr;
        } else if (mode == "authorized") {
            s.mode = SealMode::authorized;
        } else {
            throw std::runtime_error("unsupported mode \"" + mode + "\"");
        }
        s.selection = selection_from(f);
        s.policy = f.hex("policy");
        s.object.public_area = f.hex("public");
        s.object.private_area = f.hex("private");
        if (object_auth_policy(s.object.public_area) != s.policy)
            throw std::runtime_error("'policy' is not the sealed object's policy");
        if (s.mode == SealMode::pcr) {
            s.sealed_values = values_from(f, s.selection);
            s.origin = f.str("origin");
            return s;
        }
        AuthorizedStore a;
        Fields key{f.at("key"), "key: "};
        a.key_public = key.hex("public");
        a.key_name = key.hex("name");
        a.key_file = key.str("file");
        if (tpm::object_name(a.key_public) != a.key_name)
            throw std::runtime_error("key: 'name' is not the name of 'public'");
        if (policy_authorize(crypto::HashAlg::sha256, a.key_name, {}) != s.policy)
            throw std::runtime_error("'policy' does not authorise the recorded key");
        Fields counter{f.at("counter"), "counter: "};
        a.nv_index = static_cast<std::uint32_t>(std::stoul(counter.str("index"), nullptr, 16));
        a.nv_name = counter.hex("name");
        const auto& list = f.at("authorizations");
        if (!list.is_array()) throw std::runtime_error("'authorizations' is not a list");
        for (std::size_t i = 0; i < list.size(); ++i)
            a.authorizations.push_back(authorization_from(list[i], i));
        s.authorized = std::move(a);
        return s;
    } catch (const std::exception& e) {
        throw std::runtime_error(path.string() + ": " + e.what());
    }
}

}  // namespace drtm::seal
