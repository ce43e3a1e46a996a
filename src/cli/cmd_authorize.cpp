// drtm authorize: approve a launch for a secret sealed in authorized mode —
// typically the predicted launch of an update, before the reboot into it.
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/launch_inputs.hpp"
#include "cli/output.hpp"
#include "cli/seal_store_ops.hpp"

namespace drtm::cli {

namespace {
struct AuthorizeOptions {
    std::string tcti = "device:/dev/tpmrm0";
    std::string dir;
    std::string key;
    std::vector<std::string> predictions;
    std::string reference_log;
    std::string pcrs;
    std::string bank;
    bool current = false;
    bool revoke_older = false;
    bool list = false;
    bool json = false;
};

nlohmann::json authorization_json(const seal::Authorization& a, std::uint64_t counter) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [pcr, v] : a.values.at(a.selection.bank))
        values[std::to_string(pcr)] = binary::to_hex(v);
    return {{"origin", a.origin},
            {"created", a.created},
            {"counter_limit", a.counter_limit},
            {"revoked", a.counter_limit < counter},
            {"pcrs", {{std::string(crypto::alg_name(a.selection.bank)), values}}}};
}

void print_store(const std::string& tcti, const std::string& dir, bool json) {
    auto store = seal::load_sealed(dir);
    if (store.mode != seal::SealMode::authorized)
        throw std::runtime_error(dir + "/sealed.json is sealed to fixed PCR values (mode pcr)");
    const auto& a = *store.authorized;
    std::optional<std::uint64_t> counter;
    {
        tpm::Tpm t(tcti);
        if (auto c = t.nv_counter(a.nv_index)) counter = c->value;
    }
    const std::uint64_t count = counter.value_or(0);
    if (json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& auth : a.authorizations) list.push_back(authorization_json(auth, count));
        const auto idx = binary::hex32(a.nv_index);
        print_json(
            {{"counter", {{"index", idx}, {"value", counter ? nlohmann::json(*counter) : nullptr}}},
             {"key_name", binary::to_hex(a.key_name)},
             {"key_file", a.key_file},
             {"authorizations", list}});
        return;
    }
    const auto idx = binary::hex32(a.nv_index);
    std::cout << "counter " << idx << ": "
              << (counter ? std::to_string(*counter) : "NOT ON THIS TPM") << "\n";
    for (std::size_t i = 0; i < a.authorizations.size(); ++i) {
        const auto& auth = a.authorizations[i];
        std::cout << std::setw(3) << i + 1 << "  limit " << auth.counter_limit
                  << (auth.counter_limit < count ? " (revoked)" : "") << "  " << auth.created
                  << "  " << auth.origin << "\n";
        for (const auto& [pcr, v] : auth.values.at(auth.selection.bank))
            std::cout << "       " << crypto::alg_name(auth.selection.bank) << " PCR "
                      << std::setw(2) << pcr << " " << binary::to_hex(v) << "\n";
    }
}
}  // namespace

void register_authorize(CLI::App& app) {
    auto o = std::make_shared<AuthorizeOptions>();
    auto in = std::make_shared<LaunchInputs>();
    auto* cmd = app.add_subcommand(
        "authorize",
        "Approve a launch (predicted from artifacts, a saved prediction, or the current one) "
        "for a secret sealed in authorized mode");
    cmd->add_option("--tcti", o->tcti, "TPM")->capture_default_str();
    cmd->add_option("--dir", o->dir, "Directory of the sealed secret (sealed.json)")->required();
    cmd->add_option("--key", o->key,
                    "The owner's signing key (PEM); default: the one the secret was sealed with");
    add_launch_inputs(cmd, *in, false);
    cmd->add_option("--reference-log", o->reference_log,
                    "Intel: DRTM log of an earlier launch on this machine (SINIT's part)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--prediction", o->predictions, "`drtm predict --json` output (repeatable)")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--current", o->current, "Approve the launch the TPM holds now");
    cmd->add_option("--pcrs", o->pcrs, "PCRs to approve (default: those the secret was sealed to)");
    cmd->add_option("--bank", o->bank, "PCR bank (default: the sealed one)");
    cmd->add_flag("--revoke-older", o->revoke_older,
                  "Move the counter now, so only these approvals remain valid (by default the "
                  "first unseal in an approved launch does it)");
    cmd->add_flag("--list", o->list, "List the approvals and the counter instead");
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o, in] {
        if (o->list) return print_store(o->tcti, o->dir, o->json);
        std::vector<Approval> approvals;
        if (!in->kernel.empty() || !in->xen.empty()) {
            for (const auto& [p, describe] : predict_variants(*in, o->reference_log))
                approvals.push_back({p.pcrs, "prediction " + describe.dump()});
        }
        for (const auto& file : o->predictions)
            approvals.push_back({prediction_values(file), "prediction " + file});
        std::optional<seal::PcrSelection> selection;
        if (!o->pcrs.empty() || !o->bank.empty()) {
            auto store = seal::load_sealed(o->dir);
            selection = store.selection;
            if (!o->pcrs.empty()) selection->pcrs = parse_pcr_list(o->pcrs);
            if (!o->bank.empty()) {
                auto banks = parse_bank_list(o->bank);
                if (banks.size() != 1) throw CLI::ValidationError("--bank", "give one bank");
                selection->bank = banks[0];
            }
        }
        if (o->current) {
            auto store = seal::load_sealed(o->dir);
            auto sel = selection.value_or(store.selection);
            tpm::Tpm t(o->tcti);
            approvals.push_back({t.read_pcrs({sel.bank}, sel.pcrs), "current PCRs"});
        }
        if (approvals.empty())
            throw CLI::ValidationError(
                "authorize",
                "name the launch: artifact flags (--flavour --dce --kernel ...), "
                "--prediction FILE or --current");
        auto store =
            authorize_into_store(o->tcti, o->dir, o->key, approvals, selection, o->revoke_older);
        const auto& list = store.authorized->authorizations;
        if (o->json) {
            nlohmann::json added = nlohmann::json::array();
            for (std::size_t i = list.size() - approvals.size(); i < list.size(); ++i)
                added.push_back(authorization_json(list[i], 0));
            print_json({{"authorized", added}});
            return;
        }
        for (std::size_t i = list.size() - approvals.size(); i < list.size(); ++i)
            std::cout << "approved " << list[i].origin << " (counter limit "
                      << list[i].counter_limit << ")\n";
        std::cout << (o->revoke_older ? "older approvals are revoked\n"
                                      : "older approvals stay valid until the first unseal in "
                                        "an approved launch\n");
    });
}

}  // namespace drtm::cli
