// drtm seal|unseal: local attestation — a secret (e.g. a LUKS keyfile) that
// the TPM releases only in an approved launch (PCR 17/18 by default).
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/seal_store_ops.hpp"
#include "seal/local_seal.hpp"

namespace drtm::cli {

namespace {
struct SealOptions {
    std::string tcti = "device:/dev/tpmrm0";
    std::string dir;
    std::string in;
    std::string out;
    std::string pcrs = "17,18";
    std::string bank = "sha256";
    std::string prediction;
    std::string mode = "authorized";
    std::string key = kDefaultKeyFile;
    std::string nv_index;
    bool no_advance = false;
    bool json = false;
};

binary::Bytes read_secret(const std::string& in) {
    if (in != "-") return binary::read_file(in);
    return binary::Bytes(std::istreambuf_iterator<char>(std::cin),
                         std::istreambuf_iterator<char>());
}

// The store being replaced, if there is a readable one.
std::optional<seal::SealedSecret> previous_store(const std::string& dir) {
    if (!std::filesystem::exists(std::filesystem::path(dir) / "sealed.json")) return std::nullopt;
    try {
        return seal::load_sealed(dir);
    } catch (const std::exception& e) {
        std::cerr << "drtm: warning: replacing an unreadable store: " << e.what() << "\n";
        return std::nullopt;
    }
}

std::uint32_t parse_nv_index(const std::string& text) {
    try {
        std::size_t end = 0;
        unsigned long v = std::stoul(text, &end, 16);
        if (end == text.size()) return static_cast<std::uint32_t>(v);
    } catch (const std::exception&) {
    }
    throw CLI::ValidationError("--nv-index", "not a hex NV index: " + text);
}
}  // namespace

void register_seal(CLI::App& app) {
    auto o = std::make_shared<SealOptions>();
    auto* seal = app.add_subcommand(
        "seal", "Seal a secret to approved launches (signed approvals, or fixed PCR values)");
    seal->add_option("--tcti", o->tcti, "TPM")->capture_default_str();
    seal->add_option("--dir", o->dir, "Directory that keeps the sealed secret (sealed.json)")
        ->required();
    seal->add_option("--in", o->in, "The secret (at most 128 bytes; '-' for stdin)")->required();
    seal->add_option("--mode", o->mode,
                     "authorized: the owner's key approves launches (drtm authorize), with an NV "
                     "counter against rollback; pcr: fixed PCR values only")
        ->check(CLI::IsMember({"authorized", "pcr"}))
        ->capture_default_str();
    seal->add_option("--key", o->key,
                     "authorized: the owner's P-256 signing key (PEM); created if missing")
        ->capture_default_str();
    seal->add_option("--nv-index", o->nv_index,
                     "authorized: NV counter index (hex); default: the store's, else the first "
                     "free one from 0x01000d17");
    seal->add_option("--pcrs", o->pcrs, "PCRs to seal to")->capture_default_str();
    seal->add_option("--bank", o->bank, "PCR bank")->capture_default_str();
    seal->add_option(
            "--prediction", o->prediction,
            "Seal to the values of `drtm predict --json` output instead of the current ones")
        ->check(CLI::ExistingFile);
    seal->callback([o] {
        auto banks = parse_bank_list(o->bank);
        if (banks.size() != 1) throw CLI::ValidationError("--bank", "give one bank");
        seal::PcrSelection sel{banks[0], parse_pcr_list(o->pcrs)};
        std::optional<std::uint32_t> nv_index;
        if (!o->nv_index.empty()) nv_index = parse_nv_index(o->nv_index);
        auto secret = read_secret(o->in);
        const bool authorized = o->mode == "authorized";
        std::optional<crypto::EcdsaP256Key> key;
        if (authorized) key = owner_key(o->key, true);
        auto previous = previous_store(o->dir);

        tpm::Tpm t(o->tcti);
        tpm::PcrBanks values = o->prediction.empty() ? t.read_pcrs({sel.bank}, sel.pcrs)
                                                     : prediction_values(o->prediction);
        const std::string origin =
            o->prediction.empty() ? "current PCRs" : "prediction " + o->prediction;
        seal::SealedSecret sealed;
        if (authorized) {
            seal::AuthorizedSealOptions options;
            options.key = &*key;
            options.key_file = std::filesystem::absolute(o->key).string();
            options.previous = previous ? &*previous : nullptr;
            options.nv_index = nv_index;
            sealed = seal::seal_authorized(t, secret, sel, values, origin, options);
        } else {
            sealed = seal::seal_secret(t, secret, sel, values, origin);
        }
        std::fill(secret.begin(), secret.end(), 0);
        seal::save_sealed(o->dir, sealed);
        std::cerr << "sealed to " << crypto::alg_name(sel.bank) << " PCR " << o->pcrs << " ("
                  << origin << ") in " << o->dir << "/sealed.json";
        if (authorized) {
            const auto idx = binary::hex32(sealed.authorized->nv_index);
            std::cerr << "; approvals signed by " << o->key << ", counter " << idx;
        }
        std::cerr << "\n";
    });

    auto* unseal =
        app.add_subcommand("unseal", "Release a sealed secret if this launch is approved");
    unseal->add_option("--tcti", o->tcti, "TPM")->capture_default_str();
    unseal->add_option("--dir", o->dir, "Directory with sealed.json")->required();
    unseal->add_option("--out", o->out,
                       "Write the secret to this file (mode 0600) instead of stdout");
    unseal->add_flag("--no-advance", o->no_advance,
                     "authorized: leave the counter where it is (by default unsealing with a "
                     "newer approval revokes the older ones)");
    unseal->callback([o] {
        auto sealed = seal::load_sealed(o->dir);
        tpm::Tpm t(o->tcti);
        seal::UnsealResult result;
        try {
            result = seal::unseal_secret(t, sealed, !o->no_advance);
        } catch (const seal::UnsealRefused& e) {
            std::cerr << "drtm: unseal refused: " << e.what() << "\n";
            throw CLI::RuntimeError(1);
        }
        if (!o->out.empty()) {
            binary::write_file_atomic(o->out, binary::ByteView(result.secret), 0600);
        } else {
            std::cout.write(reinterpret_cast<const char*>(result.secret.data()),
                            static_cast<std::streamsize>(result.secret.size()));
            std::cout.flush();
        }
        std::fill(result.secret.begin(), result.secret.end(), 0);
        if (result.authorization) {
            const auto& a = sealed.authorized->authorizations[*result.authorization];
            progress("unsealed with authorisation " + std::to_string(*result.authorization + 1) +
                     " (" + a.origin + "); counter at " + std::to_string(*result.counter));
        }
    });
}

}  // namespace drtm::cli
