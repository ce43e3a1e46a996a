#include "eventlog/event.hpp"

#include "crypto/digest.hpp"

namespace drtm::eventlog {

Event to_event(const EventView& view) {
    Event e;
    e.pcr = view.pcr;
    e.type = view.type;
    e.digests.reserve(view.digests.size());
    for (const DigestView& d : view.digests)
        e.digests.push_back(Digest{d.alg_id, Bytes(d.bytes.begin(), d.bytes.end())});
    e.data.assign(view.data.begin(), view.data.end());
    return e;
}

Event measure_event(std::uint32_t pcr, std::uint32_t type, std::span<const crypto::HashAlg> banks,
                    ByteView measured, ByteView data) {
    Event e;
    e.pcr = pcr;
    e.type = type;
    e.digests.reserve(banks.size());
    for (crypto::HashAlg alg : banks)
        e.digests.push_back(Digest{crypto::alg_id(alg), crypto::hash(alg, measured)});
    e.data.assign(data.begin(), data.end());
    return e;
}

Event measure_event(std::uint32_t pcr, std::uint32_t type, std::span<const crypto::HashAlg> banks,
                    ByteView measured, std::string_view label) {
    return measure_event(pcr, type, banks, measured, binary::as_bytes(label));
}

}  // namespace drtm::eventlog
