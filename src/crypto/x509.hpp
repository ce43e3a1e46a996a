// X.509 for endorsement keys: the emulated platform's manufacturer CA issues
// EK certificates (as a TPM vendor does), and a registrar verifies them
// against the CA roots it trusts and matches their key to the EK.
#pragma once

#include <string>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::crypto {

struct CertificateAuthority {
    std::string key_pem;            // P-256 private key (PKCS#8 PEM)
    binary::Bytes certificate_der;  // self-signed, CA:TRUE
};

CertificateAuthority make_certificate_authority(
    const std::string& common_name, const std::string& organization = "drtm emulated platform");

// TLS identities for the verifier service: a server certificate (with its
// host names and addresses) or a client certificate whose OU names the
// client's role ("agent", "admin"). A fresh P-256 key each.
struct TlsCertificateRequest {
    std::string common_name;
    std::string organization = "drtm verifier";
    std::string unit;  // OU
    bool server = false;
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    long days = 825;
};
struct TlsIdentity {
    std::string certificate_pem;
    std::string key_pem;  // PKCS#8
};
TlsIdentity issue_tls_identity(const CertificateAuthority& ca,
                               const TlsCertificateRequest& request);

// SubjectPublicKeyInfo DER of an RSA key (exponent 65537) or a P-256 point.
binary::Bytes rsa_spki(binary::ByteView modulus);
binary::Bytes ec_p256_spki(binary::ByteView x, binary::ByteView y);

// An EK certificate (TCG EK Credential Profile in outline: extended key
// usage tcg-kp-EKCertificate 2.23.133.8.1, keyEncipherment for RSA,
// keyAgreement for ECC) for `spki`, signed by `ca`.
binary::Bytes issue_ek_certificate(const CertificateAuthority& ca, binary::ByteView spki, bool rsa,
                                   std::uint64_t serial, const std::string& subject_cn);

// The certificate's SubjectPublicKeyInfo DER. Throws on malformed DER.
binary::Bytes certificate_spki(binary::ByteView certificate_der);

// Empty when `certificate_der` chains to one of `roots` (through
// `intermediates`) and is within its validity; otherwise OpenSSL's reason.
std::string verify_certificate(binary::ByteView certificate_der,
                               const std::vector<binary::Bytes>& roots,
                               const std::vector<binary::Bytes>& intermediates = {});

std::string der_to_pem(binary::ByteView certificate_der);
// Every certificate in a PEM bundle, as DER. Throws when there is none.
std::vector<binary::Bytes> pem_certificates(const std::string& pem);

}  // namespace drtm::crypto
