// Client for swtpm's control channel (reference/swtpm.md §3). This is the
// path a CPU takes in a dynamic launch: _TPM_Hash_Start/Data/End at locality
// 4, which no TPM command can emulate. Rules it follows: one connection per
// command, each request in one write, the 4-byte result read first and the
// rest only on success, HASH_DATA in chunks of at most 4096 bytes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "binary/bytes.hpp"
#include "tpm/tcti_spec.hpp"

namespace drtm::tpm {

class ControlError : public std::runtime_error {
  public:
    ControlError(const std::string& what, std::uint32_t result = 0)
        : std::runtime_error(what), result_(result) {}
    std::uint32_t result() const noexcept { return result_; }

  private:
    std::uint32_t result_;
};

class SwtpmControl {
  public:
    explicit SwtpmControl(ControlEndpoint endpoint, int timeout_ms = 5000);

    std::uint64_t get_capability();
    void init(bool delete_volatile = false);
    void shutdown();  // swtpm exits after this
    bool get_tpm_established();
    void reset_tpm_established(std::uint8_t locality);
    void set_locality(std::uint8_t locality);
    void store_volatile();

    void hash_start();
    void hash_data(binary::ByteView data);  // split into ≤ 4096-byte messages
    void hash_end();

    // The whole DRTM sequence. The caller must hold the platform lock: any
    // TPM command in between aborts the sequence without an error.
    void drtm_sequence(binary::ByteView data);

    static constexpr std::size_t kMaxHashChunk = 4096;

  private:
    binary::Bytes transact(std::uint32_t cmd, binary::ByteView payload, std::size_t success_extra);
    int connect_socket();

    ControlEndpoint endpoint_;
    int timeout_ms_;
};

}  // namespace drtm::tpm
