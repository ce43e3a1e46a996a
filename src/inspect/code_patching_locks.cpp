#include "inspect/code_patching_locks.hpp"

namespace drtm::inspect {

std::vector<std::string> held_mutexes(std::span<const MutexReading> readings) {
    std::vector<std::string> held;
    for (const auto& m : readings)
        if (mutex_held(m.owner_word)) held.push_back(m.name);
    return held;
}

std::string not_judged_while_held(const std::string& name) {
    if (name == "jump_label_mutex")
        return "jump labels against their keys: the kernel held jump_label_mutex (switching a "
               "key) in the last pause";
    if (name == "static_call_mutex")
        return "whether a static call disagreeing with its trampoline is only mid-update: the "
               "kernel held static_call_mutex (retargeting a static call) in the last pause";
    if (name == "text_mutex")
        return "whether a refused patch site is only half-written: the kernel held text_mutex "
               "(rewriting its code) in the last pause";
    return "";
}

}  // namespace drtm::inspect
