// drtm attest: remote attestation without a service — create the attester's
// keys, quote the DRTM PCRs into evidence, appraise evidence into a signed
// EAR. (`drtm verifier serve` / `drtm agent` put the same steps behind HTTPS.)
#include <chrono>
#include <iostream>
#include <memory>

#include "attest/attester_keys.hpp"
#include "attest/ear.hpp"
#include "attest/ek_certificate.hpp"
#include "attest/evidence.hpp"
#include "attest/verifier.hpp"
#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/running_log_input.hpp"
#include "cli/seal_store_ops.hpp"
#include "crypto/x509.hpp"

namespace drtm::cli {

namespace {
struct AttestOptions {
    std::string tcti = "device:/dev/tpmrm0";
    std::string keys;
    std::string ek = "ecc";
    std::string nonce;
    std::string log;  // "": the running system's
    std::string node;
    std::string out;
    std::string evidence;
    std::string policy;
    std::string signing_key;
    std::string ak_name;
    std::string jwt;
    std::string public_key;
    std::string banks;
    bool json = false;
};

void print_verdict(const attest::Verdict& v) {
    std::cout << "status: " << v.status() << "\n";
    for (const auto& c : v.checks)
        std::cout << "  " << (c.passed ? "ok    " : "FAILED") << " " << c.name << ": " << c.detail
                  << "\n";
    std::cout << "trustworthiness vector:";
    for (const auto& [claim, value] : v.trust_vector) std::cout << " " << claim << "=" << value;
    std::cout << "\n";
}
}  // namespace

void register_attest(CLI::App& app) {
    auto o = std::make_shared<AttestOptions>();
    auto* cmd = app.add_subcommand("attest", "Remote attestation: keys, evidence, appraisal");
    cmd->require_subcommand(1);

    auto* keys = cmd->add_subcommand(
        "keys",
        "Create the attester's attestation key (ECC P-256, restricted signing) under its EK");
    keys->add_option("--tcti", o->tcti, "TPM")->capture_default_str();
    keys->add_option("--ek", o->ek, "EK to create the AK under")
        ->check(CLI::IsMember({"ecc", "rsa"}))
        ->capture_default_str();
    keys->add_option("--out", o->out, "Key file to write (mode 0600)")->required();
    keys->add_flag("--json", o->json, "Print the EK and AK names as JSON");
    keys->callback([o] {
        tpm::Tpm t(o->tcti);
        auto k = attest::create_attester_keys(
            t, o->ek == "rsa" ? tpm::EkType::rsa2048 : tpm::EkType::ecc_p256);
        attest::save_attester_keys(o->out, k);
        nlohmann::json j = {{"ek_name", binary::to_hex(k.ek.name)},
                            {"ek_certificate", k.ek.certificate.has_value()},
                            {"ak_name", binary::to_hex(k.ak_name)},
                            {"file", o->out}};
        if (o->json) return print_json(j);
        std::cout << "AK " << binary::to_hex(k.ak_name) << "\nEK " << binary::to_hex(k.ek.name)
                  << (k.ek.certificate ? " (with certificate)" : " (no certificate in NV)")
                  << "\nwritten to " << o->out << "\n";
    });

    auto* quote = cmd->add_subcommand(
        "quote", "Quote PCRs 17-22 with a verifier's nonce into evidence (JSON)");
    quote->add_option("--tcti", o->tcti, "TPM")->capture_default_str();
    quote->add_option("--keys", o->keys, "Key file from `drtm attest keys`")
        ->required()
        ->check(CLI::ExistingFile);
    quote->add_option("--nonce", o->nonce, "The verifier's nonce (hex, 8-64 bytes)")->required();
    quote->add_option(
        "--log", o->log,
        "DRTM event log (default: the running system's, as `drtm log read` finds it)");
    quote->add_option("--node", o->node, "This node's name");
    quote->add_option("--banks", o->banks, "PCR banks to quote (default: every allocated bank)");
    quote->add_option("--out", o->out, "Write the evidence here instead of stdout");
    quote->callback([o] {
        auto nonce = parse_nonce(o->nonce);
        auto k = attest::load_attester_keys(o->keys);
        auto log = log_bytes_or_running(o->log);
        attest::CollectOptions opts;
        opts.node = o->node;
        opts.ek = k.ek_type;
        if (!o->banks.empty()) opts.banks = parse_bank_list(o->banks);
        tpm::Tpm t(o->tcti);
        auto e = attest::collect_evidence(t, k.ak, nonce, log, opts);
        auto text = attest::to_json(e).dump(2) + "\n";
        if (o->out.empty()) {
            std::cout << text;
        } else {
            binary::write_file_atomic(o->out, std::string_view(text));
        }
    });

    auto* verify = cmd->add_subcommand(
        "verify", "Appraise evidence: exit 0 affirming, 2 warning, 1 contraindicated");
    verify->add_option("--evidence", o->evidence, "Evidence from `drtm attest quote`")
        ->required()
        ->check(CLI::ExistingFile);
    verify->add_option("--nonce", o->nonce, "The nonce this verifier issued (hex)")->required();
    verify->add_option("--ak-name", o->ak_name, "The enrolled AK's name (hex)");
    verify->add_option("--keys", o->keys, "Or take the enrolled AK from this key file")
        ->check(CLI::ExistingFile);
    verify->add_option("--policy", o->policy, "Appraisal policy (docs/attestation.md)")
        ->check(CLI::ExistingFile);
    verify
        ->add_option("--signing-key", o->signing_key,
                     "Verifier's P-256 key (PEM): print the result as a signed EAR JWT")
        ->check(CLI::ExistingFile);
    verify->add_flag("--json", o->json, "Print the EAR claims as JSON");
    verify->callback([o] {
        attest::Expectations expect;
        expect.nonce = parse_nonce(o->nonce);
        if (!o->ak_name.empty()) expect.ak_name = binary::from_hex(o->ak_name);
        if (!o->keys.empty()) expect.ak_name = attest::load_attester_keys(o->keys).ak_name;
        attest::AppraisalPolicy policy;
        if (!o->policy.empty()) {
            try {
                policy = attest::parse_policy(binary::read_text_file(o->policy));
            } catch (const std::exception& e) {
                throw std::runtime_error(o->policy + ": " + e.what());
            }
        }
        attest::Evidence evidence;
        try {
            evidence = attest::parse_evidence(binary::read_text_file(o->evidence));
        } catch (const std::exception& e) {
            throw std::runtime_error(o->evidence + ": " + e.what());
        }
        auto verdict = attest::appraise(evidence, expect, policy);
        attest::EarInfo info;
        info.issued_at = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        info.policy_id = policy.id;
        info.nonce = expect.nonce;
        info.node = evidence.node;
        auto claims = attest::ear_claims(verdict, info);
        if (!o->signing_key.empty()) {
            auto key = owner_key(o->signing_key, false);
            std::cout << attest::sign_ear(claims, key) << "\n";
        } else if (o->json) {
            print_json(claims);
        } else {
            print_verdict(verdict);
        }
        auto status = verdict.status();
        if (status == "contraindicated" || status == "none") throw CLI::RuntimeError(1);
        if (status == "warning") throw CLI::RuntimeError(2);
    });

    auto* check_ek = cmd->add_subcommand(
        "check-ek", "Check a key file's EK: the TCG template, and its certificate against roots");
    check_ek->add_option("--keys", o->keys, "Key file from `drtm attest keys`")
        ->required()
        ->check(CLI::ExistingFile);
    check_ek->add_option("--roots", o->public_key, "Trusted CA certificates (PEM bundle)")
        ->required()
        ->check(CLI::ExistingFile);
    check_ek->callback([o] {
        auto k = attest::load_attester_keys(o->keys);
        auto ek = binary::in_file(o->keys,
                                  [&] { return attest::parse_endorsement_key(k.ek.public_area); });
        if (!k.ek.certificate)
            throw std::runtime_error(o->keys + ": the TPM had no certificate for this EK");
        auto problem = attest::ek_certificate_problem(
            ek, *k.ek.certificate, crypto::pem_certificates(binary::read_text_file(o->public_key)));
        if (!problem.empty()) {
            std::cerr << "drtm: EK refused: " << problem << "\n";
            throw CLI::RuntimeError(1);
        }
        std::cout << "EK " << binary::to_hex(ek.name) << ": certificate chains to " << o->public_key
                  << " and certifies this key\n";
    });

    auto* result = cmd->add_subcommand("result", "Check a signed EAR and print its claims");
    result->add_option("--jwt", o->jwt, "File with the EAR JWT")
        ->required()
        ->check(CLI::ExistingFile);
    result->add_option("--public-key", o->public_key, "The verifier's public key (PEM)")
        ->required()
        ->check(CLI::ExistingFile);
    result->callback([o] {
        auto key = crypto::EcdsaP256Key::load_public_pem(o->public_key);
        auto text = binary::read_text_file(o->jwt);
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        print_json(attest::verify_ear(text, key));
    });
}

}  // namespace drtm::cli
