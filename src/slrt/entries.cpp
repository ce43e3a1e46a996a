#include "slrt/entries.hpp"

#include <limits>

#include "slrt/errors.hpp"

namespace drtm::slrt {

EventInfo make_event_info(std::string_view label) {
    if (label.size() > kEventInfoLength)
        throw BuildError("event label \"" + std::string(label) + "\" is longer than 32 bytes");
    EventInfo info{};
    for (std::size_t i = 0; i < label.size(); ++i) info[i] = static_cast<std::uint8_t>(label[i]);
    return info;
}

std::string event_info_label(const EventInfo& info) {
    std::string out;
    for (std::uint8_t c : info) {
        if (c == 0) break;
        out += static_cast<char>(c);
    }
    return out;
}

std::uint32_t intel_info_size(IntelInfoLayout layout) {
    return layout == IntelInfoLayout::with_boot_params ? 560 : 552;
}

std::uint32_t amd_info_size(AmdInfoLayout layout) {
    return layout == AmdInfoLayout::setup_data ? 56 : 8;
}

namespace {

std::uint32_t checked_size(std::uint64_t size, const char* what) {
    if (size > std::numeric_limits<std::uint32_t>::max())
        throw BuildError(std::string(what) + " entry of " + std::to_string(size) +
                         " bytes does not fit the u32 size field");
    return static_cast<std::uint32_t>(size);
}

struct SizeOf {
    std::uint32_t operator()(const DlInfo&) const { return DlInfo::kSize; }
    std::uint32_t operator()(const LogInfo&) const { return LogInfo::kSize; }
    std::uint32_t operator()(const Policy& p) const {
        return checked_size(
            Policy::kHeaderSize + std::uint64_t{PolicyEntry::kSize} * p.entries.size(),
            "ENTRY_POLICY");
    }
    std::uint32_t operator()(const IntelInfo& i) const { return intel_info_size(i.layout); }
    std::uint32_t operator()(const AmdInfo& a) const { return amd_info_size(a.layout); }
    std::uint32_t operator()(const UefiConfig& u) const {
        return checked_size(
            UefiConfig::kHeaderSize + std::uint64_t{UefiConfigEntry::kSize} * u.entries.size(),
            "UEFI_CONFIG");
    }
    std::uint32_t operator()(const OpaqueEntry& o) const {
        return checked_size(kEntryHeaderSize + std::uint64_t{o.payload.size()}, "opaque");
    }
};

struct TagOf {
    std::uint32_t operator()(const DlInfo&) const {
        return static_cast<std::uint32_t>(Tag::dl_info);
    }
    std::uint32_t operator()(const LogInfo&) const {
        return static_cast<std::uint32_t>(Tag::log_info);
    }
    std::uint32_t operator()(const Policy&) const {
        return static_cast<std::uint32_t>(Tag::entry_policy);
    }
    std::uint32_t operator()(const IntelInfo&) const {
        return static_cast<std::uint32_t>(Tag::intel_info);
    }
    std::uint32_t operator()(const AmdInfo&) const {
        return static_cast<std::uint32_t>(Tag::amd_info);
    }
    std::uint32_t operator()(const UefiConfig&) const {
        return static_cast<std::uint32_t>(Tag::uefi_config);
    }
    std::uint32_t operator()(const OpaqueEntry& o) const { return o.tag; }
};

}  // namespace

std::uint32_t entry_tag(const Entry& entry) {
    return std::visit(TagOf{}, entry);
}
std::uint32_t entry_size(const Entry& entry) {
    return std::visit(SizeOf{}, entry);
}

}  // namespace drtm::slrt
