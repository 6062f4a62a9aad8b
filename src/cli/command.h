// A subcommand of safemigrate, as ninja's tool table and git's command struct have them: a name,
// the line `safemigrate --help` shows, a function that declares its options and one that runs it.
// The table itself is in main.cpp; docs/adding-a-command.md says how to add a line to it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

namespace sm::cli {

struct Command {
  const char* name;
  const char* help;
  // Declares the command's options on `cmd` (CLI11's subcommand) and returns what runs it once
  // they are parsed: its exit code (model/errors.h). An exception it throws is printed as
  // `safemigrate: MESSAGE` with exit 2.
  std::function<std::function<int()>(CLI::App& cmd)> declare;
};

// A table entry from a command's options and its two functions:
//   void setup(CLI::App& cmd, Args& args)     declares the options, bound to members of args;
//   int run(Args& args, const CLI::App& cmd)  runs the command once they are parsed (cmd tells
//                                             which options were given).
template <typename Args>
Command command(const char* name, const char* help, void (*setup)(CLI::App&, Args&),
                int (*run)(Args&, const CLI::App&)) {
  return {name, help, [setup, run](CLI::App& cmd) {
            auto args = std::make_shared<Args>();
            setup(cmd, *args);
            return std::function<int()>([args, run, &cmd] { return run(*args, cmd); });
          }};
}

// Whether option `name` was given on the command line.
inline bool given(const CLI::App& cmd, const char* name) {
  return cmd.get_option(name)->count() > 0;
}

}  // namespace sm::cli
