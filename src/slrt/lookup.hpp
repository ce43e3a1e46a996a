// Finding entries in a parsed table (slr_next_entry_by_tag() for the model).
#pragma once

#include <vector>

#include "slrt/table.hpp"

namespace drtm::slrt {

// The first entry of type T, or nullptr. T is one of the Entry alternatives.
template <class T>
const T* find_entry(const Table& table) {
    for (const Entry& e : table.entries)
        if (const T* p = std::get_if<T>(&e)) return p;
    return nullptr;
}

template <class T>
T* find_entry(Table& table) {
    for (Entry& e : table.entries)
        if (T* p = std::get_if<T>(&e)) return p;
    return nullptr;
}

inline const DlInfo* find_dl_info(const Table& t) {
    return find_entry<DlInfo>(t);
}
inline const LogInfo* find_log_info(const Table& t) {
    return find_entry<LogInfo>(t);
}
inline const Policy* find_policy(const Table& t) {
    return find_entry<Policy>(t);
}
inline const IntelInfo* find_intel_info(const Table& t) {
    return find_entry<IntelInfo>(t);
}
inline const AmdInfo* find_amd_info(const Table& t) {
    return find_entry<AmdInfo>(t);
}
inline const UefiConfig* find_uefi_config(const Table& t) {
    return find_entry<UefiConfig>(t);
}

// Policy entries in order, SLR_ET_UNUSED slots skipped (what a measurer walks).
inline std::vector<PolicyEntry> used_policy_entries(const Policy& policy) {
    std::vector<PolicyEntry> out;
    for (const PolicyEntry& e : policy.entries)
        if (!e.unused()) out.push_back(e);
    return out;
}

}  // namespace drtm::slrt
