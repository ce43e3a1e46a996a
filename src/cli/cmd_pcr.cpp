// drtm pcr read: PCR values of every allocated bank (or the ones asked for).
#include <iomanip>
#include <iostream>

#include "binary/bytes.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "tpm/tpm.hpp"

namespace drtm::cli {

void register_pcr(CLI::App& app) {
    auto* cmd = app.add_subcommand("pcr", "Read TPM PCRs");
    cmd->require_subcommand(1);
    struct Options {
        std::string tcti = "device:/dev/tpmrm0";
        std::string pcrs = "17-22";
        std::string banks;
        bool json = false;
    };
    auto opts = std::make_shared<Options>();
    auto* read = cmd->add_subcommand("read", "Read PCR values");
    read->add_option("--tcti", opts->tcti, "TPM to read (device:/dev/tpmrm0, swtpm:path=SOCKET)")
        ->capture_default_str();
    read->add_option("--pcrs", opts->pcrs, "PCRs: list and ranges, e.g. 0,7,17-22, or 'all'")
        ->capture_default_str();
    read->add_option("--banks", opts->banks, "Banks (default: every allocated bank)");
    read->add_flag("--json", opts->json, "Print JSON");
    read->callback([opts] {
        auto pcrs = parse_pcr_list(opts->pcrs);
        tpm::Tpm t(opts->tcti);
        auto banks = opts->banks.empty() ? t.allocated_banks() : parse_bank_list(opts->banks);
        auto values = t.read_pcrs(banks, pcrs);
        if (opts->json) {
            print_json({{"pcrs", pcr_banks_json(values)}});
            return;
        }
        for (const auto& [alg, bank] : values) {
            std::cout << crypto::alg_name(alg) << ":\n";
            for (const auto& [pcr, value] : bank)
                std::cout << "  " << std::setw(2) << pcr << ": " << binary::to_hex(value) << "\n";
        }
    });
}

}  // namespace drtm::cli
