// The tracer actor: writes the message trace (`--trace FILE`), one JSON
// object per line. Actors send it records (see context::trace); it is the
// one writer of the file, so lines never interleave.
#pragma once

#include <string>

#include "actors/protocol.hpp"

namespace chat {

/// One trace line, without the newline:
/// {"ts_ns":…,"from":"…","to":"…","msg":"…","id":…,"node":"…"} (no "id"
/// when 0, no "node" outside a cluster). Names are user input:
/// JSON-escaped, invalid UTF-8 replaced by U+FFFD.
std::string trace_line(const trace_record& r, const std::string& node = {});

/// The trace name of an actor the recipient cannot name otherwise:
/// "server" for a message without sender (the server's own sends),
/// "actor:<id>" for any other.
std::string unnamed_sender(const caf::actor_addr& addr);

/// Opens (truncates) `path` and spawns the tracer that writes to it.
/// Throws std::runtime_error if the file cannot be opened. The tracer is
/// hidden (await_all_actors_done() does not wait for it, so it can take the
/// last lines of every other actor) and detached (file writes never hold up
/// a scheduler thread); end it with (shutdown) once the others are done.
/// In a cluster, `node` names this node in every line.
tracer_actor spawn_tracer(caf::actor_system& sys, const std::string& path,
                          const std::string& node = {});

} // namespace chat
