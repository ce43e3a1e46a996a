// Glue shared by `drtm seal`, `drtm authorize` and `drtm update check
// --authorize`: reading predictions, finding the owner's key, approving
// launches into a store and saving it in one atomic write.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "crypto/ecdsa_key.hpp"
#include "seal/local_seal.hpp"

namespace drtm::cli {

// Where `drtm seal` keeps (and first creates) the owner's signing key, like
// systemd's /etc/systemd/tpm2-pcr-private-key.pem: on the root file system,
// not next to a store that may sit on an unencrypted /boot.
inline constexpr const char* kDefaultKeyFile = "/etc/drtm/authorize-key.pem";

// The "pcrs" of one `drtm predict --json` output (a single combination).
tpm::PcrBanks prediction_values(const std::string& path);

// Loads the private key, or creates it (mode 0600, directory 0700) when
// `create` and the file does not exist.
crypto::EcdsaP256Key owner_key(const std::string& path, bool create);

struct Approval {
    tpm::PcrBanks values;
    std::string origin;
};

// Approves each launch in the store at DIR (one atomic write for all), then,
// with `revoke_older`, moves the counter so only these remain valid. Returns
// the store as saved.
seal::SealedSecret authorize_into_store(const std::string& tcti, const std::string& dir,
                                        const std::string& key_file,
                                        const std::vector<Approval>& approvals,
                                        const std::optional<seal::PcrSelection>& selection,
                                        bool revoke_older);

}  // namespace drtm::cli
