#include "seal/local_seal.hpp"

#include <tss2/tss2_tpm2_types.h>

#include <algorithm>

#include "tpm/object_names.hpp"

namespace drtm::seal {

namespace {

// The TPM answered (as opposed to the transport failing): a refusal.
bool refused_by_tpm(const tpm::TpmError& e) {
    return e.rc() != 0 && (e.rc() >> 16) == 0;
}

// PCRs of `sel` whose values in `current` differ from `expected`, with a
// readable line for each.
std::vector<std::uint32_t> differing_pcrs(const PcrSelection& sel, const tpm::PcrBanks& expected,
                                          const tpm::PcrBanks& current, const char* verb,
                                          std::string& detail) {
    std::vector<std::uint32_t> differing;
    for (auto p : sel.pcrs) {
        const auto& then = expected.at(sel.bank).at(p);
        const auto& now = current.at(sel.bank).at(p);
        if (now == then) continue;
        differing.push_back(p);
        detail += "\n    PCR " + std::to_string(p) + " (" +
                  std::string(crypto::alg_name(sel.bank)) + "): " + verb + " " +
                  binary::to_hex(then) + ", now " + binary::to_hex(now);
    }
    return differing;
}

tpm::NvCounter store_counter(tpm::Tpm& tpm, const AuthorizedStore& a) {
    auto c = tpm.nv_counter(a.nv_index);
    if (!c || !c->value)
        throw std::runtime_error("the store's NV counter " + binary::hex32(a.nv_index) +
                                 " is not defined on this TPM: the store belongs to another "
                                 "TPM, or the counter was deleted (seal again)");
    if (c->name != a.nv_name)
        throw std::runtime_error("NV index " + binary::hex32(a.nv_index) +
                                 " is not the store's counter any more (its name changed)");
    return *c;
}

binary::Bytes key_public_of(const crypto::EcdsaP256Key& key) {
    return tpm::ecc_p256_external_public(key.public_point());
}

// Appends a signed authorisation valid up to `limit`, after dropping the ones
// the counter has revoked and earlier ones for the same values.
const Authorization& add_authorization(AuthorizedStore& a, const crypto::EcdsaP256Key& key,
                                       const PcrSelection& sel, const tpm::PcrBanks& values,
                                       const std::string& origin, std::uint64_t counter,
                                       std::uint64_t limit) {
    auto next = sign_authorization(key, sel, values, a.nv_name, limit, origin);
    auto& list = a.authorizations;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Authorization& old) {
                                  return old.counter_limit < counter ||
                                         (old.selection.bank == sel.bank &&
                                          old.selection.pcrs == next.selection.pcrs &&
                                          old.values == next.values);
                              }),
               list.end());
    list.push_back(std::move(next));
    return list.back();
}

UnsealResult unseal_pcr_mode(tpm::Tpm& tpm, const SealedSecret& sealed) {
    // Check the launch first: it gives a readable answer, and a policy that
    // cannot succeed is not even tried.
    auto current = tpm.read_pcrs({sealed.selection.bank}, sealed.selection.pcrs);
    std::string detail;
    auto differing =
        differing_pcrs(sealed.selection, sealed.sealed_values, current, "sealed to", detail);
    if (!differing.empty())
        throw UnsealRefused(
            "this launch does not match the sealed PCR values (" + sealed.origin + "):" + detail,
            differing);
    try {
        return {
            tpm.unseal_with_pcr_policy(sealed.object, sealed.selection.bank, sealed.selection.pcrs),
            std::nullopt, std::nullopt};
    } catch (const tpm::TpmError& e) {
        if (!refused_by_tpm(e)) throw;
        throw UnsealRefused(
            "the TPM refused the policy although the recorded PCR values match: the sealed "
            "file was changed or belongs to another object (" +
                std::string(e.what()) + ")",
            {});
    }
}

UnsealResult unseal_authorized(tpm::Tpm& tpm, const SealedSecret& sealed, bool advance) {
    const auto& a = sealed.authorized.value();
    const auto counter = store_counter(tpm, a);
    const std::uint64_t count = *counter.value;
    auto key = crypto::EcdsaP256Key::from_public_point(tpm::ecc_point_of(a.key_public));

    std::map<crypto::HashAlg, std::vector<std::uint32_t>> wanted;
    for (const auto& auth : a.authorizations)
        for (auto p : auth.selection.pcrs) wanted[auth.selection.bank].push_back(p);
    tpm::PcrBanks current;
    for (const auto& [bank, pcrs] : wanted) current[bank] = tpm.read_pcrs({bank}, pcrs)[bank];

    std::string report;
    std::optional<std::vector<std::uint32_t>> differing;
    for (std::size_t i = a.authorizations.size(); i-- > 0;) {
        const auto& auth = a.authorizations[i];
        std::string label = "\n  authorisation " + std::to_string(i + 1) + " (" + auth.origin +
                            ", " + auth.created + ", counter limit " +
                            std::to_string(auth.counter_limit) + ")";
        const bool revoked = auth.counter_limit < count;
        std::string detail;
        auto diff = differing_pcrs(auth.selection, auth.values, current, "authorised", detail);
        if (!diff.empty()) {
            report += label + (revoked ? " [revoked]" : "") + ": this launch differs:" + detail;
            if (!differing && !revoked) differing = diff;
            continue;
        }
        if (revoked) {
            report += label + ": matches this launch but was revoked: the counter is at " +
                      std::to_string(count) + ", past its limit (rollback refused)";
            continue;
        }
        if (auto problem = authorization_problem(auth, key, a.nv_name); !problem.empty()) {
            report += label + ": matches this launch but " + problem;
            continue;
        }
        std::vector<tpm::PolicyStep> steps = {
            tpm::PolicyPcrStep{auth.selection.bank, auth.selection.pcrs},
            tpm::PolicyNvStep{a.nv_index, counter_operand(auth.counter_limit), 0,
                              tpm::kTpmEoUnsignedLe},
            tpm::PolicyAuthorizeStep{auth.approved_policy,
                                     {},
                                     a.key_public,
                                     crypto::ecdsa_signature_from_der(auth.signature)}};
        UnsealResult result;
        try {
            result.secret = tpm.unseal(sealed.object, steps);
        } catch (const tpm::TpmError& e) {
            if (!refused_by_tpm(e)) throw;
            report += label + ": the TPM refused it: " + e.what();
            continue;
        }
        result.authorization = i;
        result.counter = advance ? advance_counter(tpm, sealed, auth.counter_limit) : count;
        return result;
    }
    if (a.authorizations.empty()) report = "\n  (the store holds no authorisations)";
    throw UnsealRefused("this launch matches no usable authorisation (counter at " +
                            std::to_string(count) + "):" + report,
                        differing.value_or(std::vector<std::uint32_t>{}));
}

}  // namespace

SealedSecret seal_secret(tpm::Tpm& tpm, binary::ByteView secret, const PcrSelection& selection,
                         const tpm::PcrBanks& values, const std::string& origin) {
    refuse_unlaunched(selection, values);
    SealedSecret s;
    s.mode = SealMode::pcr;
    s.selection = selection;
    for (auto p : selection.pcrs)
        s.sealed_values[selection.bank][p] = values.at(selection.bank).at(p);
    s.policy = policy_pcr(crypto::HashAlg::sha256, binary::Bytes(32, 0), selection, values);
    s.origin = origin;
    s.object = tpm.seal(secret, s.policy);
    return s;
}

SealedSecret seal_authorized(tpm::Tpm& tpm, binary::ByteView secret, const PcrSelection& selection,
                             const tpm::PcrBanks& values, const std::string& origin,
                             const AuthorizedSealOptions& options) {
    if (!options.key || !options.key->has_private())
        throw std::invalid_argument("sealing with authorisations needs the owner's private key");
    refuse_unlaunched(selection, values);  // before anything changes on the TPM
    const auto& key = *options.key;
    const SealedSecret* previous =
        options.previous && options.previous->mode == SealMode::authorized ? options.previous
                                                                           : nullptr;

    AuthorizedStore a;
    a.key_public = key_public_of(key);
    a.key_name = tpm::object_name(a.key_public);
    a.key_file = options.key_file;

    // The counter: the one asked for, else the previous store's (so it never
    // goes back), else a fresh one.
    std::optional<std::uint32_t> index = options.nv_index;
    if (!index && previous && tpm.nv_counter(previous->authorized->nv_index))
        index = previous->authorized->nv_index;
    if (!index) index = tpm.free_nv_index(kFirstCounterIndex, kLastCounterIndex);
    if (!index)
        throw std::runtime_error("no free NV index for a counter in " +
                                 binary::hex32(kFirstCounterIndex) + "-" +
                                 binary::hex32(kLastCounterIndex) + "; pick one with --nv-index");
    auto counter = tpm.nv_counter(*index);
    if (!counter) counter = tpm.define_counter(*index);
    if (!counter->value) {
        tpm.increment_counter(*index);
        counter = tpm.nv_counter(*index);
    }
    a.nv_index = *index;
    a.nv_name = counter->name;

    // Approvals of the store this one replaces stay valid (same key, same
    // counter): an update in progress is not lost by resealing.
    if (previous && previous->authorized->key_name == a.key_name &&
        previous->authorized->nv_name == a.nv_name)
        a.authorizations = previous->authorized->authorizations;

    SealedSecret s;
    s.mode = SealMode::authorized;
    s.selection = selection;
    s.policy = policy_authorize(crypto::HashAlg::sha256, a.key_name, {});
    s.object = tpm.seal(secret, s.policy);
    add_authorization(a, key, selection, values, origin, *counter->value, *counter->value);
    s.authorized = std::move(a);
    return s;
}

const Authorization& authorize(tpm::Tpm& tpm, SealedSecret& store, const crypto::EcdsaP256Key& key,
                               const PcrSelection& selection, const tpm::PcrBanks& values,
                               const std::string& origin, std::optional<std::uint64_t> limit) {
    if (store.mode != SealMode::authorized || !store.authorized)
        throw std::runtime_error(
            "this secret is sealed to fixed PCR values (mode pcr): seal it again without "
            "--mode pcr to approve launches by signature");
    auto& a = *store.authorized;
    if (tpm::object_name(key_public_of(key)) != a.key_name)
        throw std::runtime_error("this key is not the one the secret is sealed under (key name " +
                                 binary::to_hex(a.key_name) + ")");
    const std::uint64_t count = *store_counter(tpm, a).value;
    if (!limit) {
        limit = count;
        for (const auto& old : a.authorizations) limit = std::max(*limit, old.counter_limit);
        *limit += 1;
    }
    if (*limit < count)
        throw std::runtime_error("counter limit " + std::to_string(*limit) +
                                 " is already revoked (the counter is at " + std::to_string(count) +
                                 ")");
    return add_authorization(a, key, selection, values, origin, count, *limit);
}

std::uint64_t advance_counter(tpm::Tpm& tpm, const SealedSecret& store, std::uint64_t limit) {
    const auto& a = store.authorized.value();
    std::uint64_t value = *store_counter(tpm, a).value;
    if (limit > value + 1000)
        throw std::runtime_error("refusing to move the counter by more than 1000");
    while (value < limit) value = tpm.increment_counter(a.nv_index);
    return value;
}

UnsealResult unseal_secret(tpm::Tpm& tpm, const SealedSecret& sealed, bool advance) {
    return sealed.mode == SealMode::pcr ? unseal_pcr_mode(tpm, sealed)
                                        : unseal_authorized(tpm, sealed, advance);
}

}  // namespace drtm::seal
