#include "cli/commands.hpp"
namespace drtm::cli {
void register_slrt(CLI::App& app) { (void)app; }
}  // namespace drtm::cli
