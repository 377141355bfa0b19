#include "actors/tracer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "actors/log.hpp"

namespace chat {

namespace {

using file_ptr = std::shared_ptr<std::FILE>;

/// Appends `s` as a JSON string: escaped by nlohmann::json, invalid UTF-8
/// replaced by U+FFFD (names are user input).
void append_json_string(std::string& out, const std::string& s) {
  out += nlohmann::json(s).dump(-1, ' ', false,
                                nlohmann::json::error_handler_t::replace);
}

struct tracer_state {
  static inline const char* name = "tracer";
  file_ptr file;
  std::string path;
  std::string node;    // this node's name in a cluster, else empty
  bool failed = false; // a write failed: logged once, the rest dropped

  void write(const trace_record& r) {
    if (failed)
      return;
    auto line = trace_line(r, node);
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), file.get()) != line.size())
      fail();
  }

  void flush() {
    if (!failed && file && std::fflush(file.get()) != 0)
      fail();
  }

  void fail() {
    failed = true;
    log::error("trace file " + path + ": " + std::strerror(errno) +
               "; tracing stops");
  }

  // However the tracer ends, what it buffered reaches the file.
  ~tracer_state() { flush(); }
};

using tracer_ptr = tracer_actor::stateful_pointer<tracer_state>;

/// Flushes whenever the mailbox runs dry: bursts cost one write, and a crash
/// loses at most the records still queued.
void flush_if_idle(tracer_ptr self) {
  if (self->mailbox().empty())
    self->state.flush();
}

tracer_actor::behavior_type tracer_impl(tracer_ptr self, file_ptr file,
                                        std::string path, std::string node) {
  self->state.file = std::move(file);
  self->state.path = std::move(path);
  self->state.node = std::move(node);
  return {
      [self](trace_atom, const trace_record& r) {
        self->state.write(r);
        flush_if_idle(self);
      },
      [self](trace_atom, const std::vector<trace_record>& records) {
        for (const auto& r : records)
          self->state.write(r);
        flush_if_idle(self);
      },
      [self](shutdown_atom) {
        self->state.flush();
        self->quit();
        return caf::ok_atom::value;
      },
  };
}

} // namespace

std::string trace_line(const trace_record& r, const std::string& node) {
  // Built by hand in the documented key order, for human readers; faster
  // than an ordered_json object, and the tracer formats every line.
  std::string out;
  out.reserve(96 + r.from.size() + r.to.size() + r.msg.size());
  out += R"({"ts_ns":)";
  out += std::to_string(r.ts_ns);
  out += R"(,"from":)";
  append_json_string(out, r.from);
  out += R"(,"to":)";
  append_json_string(out, r.to);
  out += R"(,"msg":)";
  append_json_string(out, r.msg);
  if (r.id != 0) {
    out += R"(,"id":)";
    out += std::to_string(r.id);
  }
  if (!node.empty()) {
    out += R"(,"node":)";
    append_json_string(out, node);
  }
  out += '}';
  return out;
}

std::string unnamed_sender(const caf::actor_addr& addr) {
  return addr ? "actor:" + std::to_string(addr.id()) : "server";
}

tracer_actor spawn_tracer(caf::actor_system& sys, const std::string& path,
                          const std::string& node) {
  file_ptr file{std::fopen(path.c_str(), "w"), [](std::FILE* f) {
                  if (f)
                    std::fclose(f);
                }};
  if (!file)
    throw std::runtime_error("cannot open trace file '" + path +
                             "': " + std::strerror(errno));
  // A large buffer: the tracer writes in bursts and flushes when idle.
  std::setvbuf(file.get(), nullptr, _IOFBF, 1 << 16);
  return sys.spawn<caf::detached + caf::hidden>(tracer_impl, std::move(file),
                                                path, node);
}

} // namespace chat
