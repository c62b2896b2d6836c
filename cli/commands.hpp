#pragma once
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"

namespace qrlogin::cli {

ExitCode run_receive(const ReceiveOptions& options);
ExitCode run_send(const SendOptions& options);

}  // namespace qrlogin::cli
