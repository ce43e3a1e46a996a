#include "cli/commands.hpp"
namespace drtm::cli {
void register_log(CLI::App& app) { (void)app; }
}  // namespace drtm::cli
