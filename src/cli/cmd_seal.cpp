// drtm seal|unseal: local attestation — a secret (e.g. a LUKS keyfile) that
// the TPM releases only in a launch with the sealed PCR 17/18 values.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "eventlog/json.hpp"
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
};

tpm::PcrBanks prediction_values(const std::string& path) {
    auto bytes = binary::read_file(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(path + ": offset " + std::to_string(e.byte) + ": not valid JSON");
    }
    if (j.contains("variants"))
        throw std::runtime_error(
            path + ": holds several predictions; predict one combination to seal to it");
    if (!j.contains("pcrs"))
        throw std::runtime_error(path + ": no \"pcrs\" (expected `drtm predict --json` output)");
    try {
        return eventlog::pcr_values_from_json(j["pcrs"]);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}
}  // namespace

void register_seal(CLI::App& app) {
    auto o = std::make_shared<SealOptions>();
    auto* seal =
        app.add_subcommand("seal", "Seal a secret to DRTM PCR values (current, or a prediction)");
    seal->add_option("--tcti", o->tcti, "TPM")->capture_default_str();
    seal->add_option("--dir", o->dir, "Directory that keeps the sealed secret (sealed.json)")
        ->required();
    seal->add_option("--in", o->in, "The secret (at most 128 bytes; '-' for stdin)")->required();
    seal->add_option("--pcrs", o->pcrs, "PCRs to seal to")->capture_default_str();
    seal->add_option("--bank", o->bank, "PCR bank")->capture_default_str();
    seal->add_option(
            "--prediction", o->prediction,
            "Seal to the values of `drtm predict --json` output instead of the current ones")
        ->check(CLI::ExistingFile);
    seal->callback([o] {
        binary::Bytes secret;
        if (o->in == "-") {
            secret.assign(std::istreambuf_iterator<char>(std::cin),
                          std::istreambuf_iterator<char>());
        } else {
            secret = binary::read_file(o->in);
        }
        auto banks = parse_bank_list(o->bank);
        if (banks.size() != 1) throw CLI::ValidationError("--bank", "give one bank");
        seal::PcrSelection sel{banks[0], parse_pcr_list(o->pcrs)};
        tpm::Tpm t(o->tcti);
        tpm::PcrBanks values = o->prediction.empty() ? t.read_pcrs({sel.bank}, sel.pcrs)
                                                     : prediction_values(o->prediction);
        auto sealed = seal::seal_secret(
            t, secret, sel, values,
            o->prediction.empty() ? "current PCRs" : "prediction " + o->prediction);
        std::fill(secret.begin(), secret.end(), 0);
        seal::save_sealed(o->dir, sealed);
        std::cerr << "sealed to " << crypto::alg_name(sel.bank) << " PCR " << o->pcrs << " ("
                  << sealed.origin << ") in " << o->dir << "/sealed.json\n";
    });

    auto* unseal = app.add_subcommand("unseal", "Release a sealed secret if this launch matches");
    unseal->add_option("--tcti", o->tcti, "TPM")->capture_default_str();
    unseal->add_option("--dir", o->dir, "Directory with sealed.json")->required();
    unseal->add_option("--out", o->out,
                       "Write the secret to this file (mode 0600) instead of stdout");
    unseal->callback([o] {
        auto sealed = seal::load_sealed(o->dir);
        tpm::Tpm t(o->tcti);
        binary::Bytes secret;
        try {
            secret = seal::unseal_secret(t, sealed);
        } catch (const seal::UnsealRefused& e) {
            std::cerr << "drtm: unseal refused: " << e.what() << "\n";
            throw CLI::RuntimeError(1);
        }
        if (!o->out.empty()) {
            binary::write_file_atomic(o->out, binary::ByteView(secret), 0600);
        } else {
            std::cout.write(reinterpret_cast<const char*>(secret.data()),
                            static_cast<std::streamsize>(secret.size()));
            std::cout.flush();
        }
        std::fill(secret.begin(), secret.end(), 0);
    });
}

}  // namespace drtm::cli
