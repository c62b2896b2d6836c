#pragma once
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"

namespace qrlogin::cli {

ExitCode run_receive(const ReceiveOptions& options);
ExitCode run_send(const SendOptions& options);
// The same with a typed code (--code): receive_code.cpp, send_code.cpp.
ExitCode run_receive_code(const ReceiveOptions& options);
ExitCode run_send_code(const SendOptions& options);

}  // namespace qrlogin::cli
