#include "eventlog/drtm_logs.hpp"

#include <array>
#include <stdexcept>
#include <string>

#include "binary/writer.hpp"
#include "eventlog/event_types.hpp"
#include "eventlog/log_writer.hpp"

namespace drtm::eventlog {

namespace {

constexpr std::array<crypto::HashAlg, 2> sha1_sha256{crypto::HashAlg::sha1,
                                                     crypto::HashAlg::sha256};

binary::Bytes pad_to(binary::Writer& w, std::uint32_t size, const char* what) {
    if (w.size() > size)
        throw std::invalid_argument(std::string(what) + ": a " + std::to_string(size) +
                                    "-byte buffer cannot hold the " + std::to_string(w.size()) +
                                    "-byte header");
    w.zeros(size - w.size());
    return w.take();
}

}  // namespace

SpecIdEvent skl_tpm20_spec_id(std::uint64_t log_base, std::uint32_t log_size,
                              std::uint32_t next_record_offset) {
    TxtLogPointer p;
    p.physical_address = log_base;
    p.allocated_size = log_size;
    p.first_record_offset = 0;
    p.next_record_offset = next_record_offset;
    return make_spec_id_event(sha1_sha256, 2, encode_txt_log_pointer(p));
}

binary::Bytes make_skl_tpm20_log(std::uint64_t log_base, std::uint32_t log_size) {
    binary::Writer w(log_size);
    encode_spec_id_record(w, skl_tpm20_spec_id(log_base, log_size));
    return pad_to(w, log_size, "SKL TPM 2.0 log");
}

binary::Bytes make_skl_tpm12_log(std::uint32_t log_size) {
    TxtContainerHeader container;
    container.container_size = log_size;  // SKL's value, though the container starts at 0x39
    binary::Writer vendor;
    encode_txt_container_header(vendor, container);

    SpecIdEvent00 spec;
    spec.vendor_info = vendor.take();
    binary::Writer data;
    encode_spec_id_event00(data, spec);

    binary::Writer w(log_size);
    w.u32le(0);
    w.u32le(tcg::ev_no_action);
    w.zeros(20);
    w.u32le(static_cast<std::uint32_t>(data.size()));
    w.bytes(data.data());
    return pad_to(w, log_size, "SKL TPM 1.2 log");
}

SpecIdEvent txt_sinit_spec_id() {
    return make_spec_id_event(sha1_sha256, 1);
}

binary::Bytes make_txt_sinit_log(std::uint32_t log_size) {
    binary::Writer w(log_size);
    encode_spec_id_record(w, txt_sinit_spec_id());
    return pad_to(w, log_size, "TXT SINIT log");
}

}  // namespace drtm::eventlog
