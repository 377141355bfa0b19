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

struct tracer_state {
  static inline const char* name = "tracer";
  file_ptr file;
  std::string path;
  bool failed = false; // a write failed: logged once, the rest dropped

  void write(const trace_record& r) {
    if (failed)
      return;
    auto line = trace_line(r);
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), file.get()) != line.size())
      fail();
  }

  void flush() {
    if (!failed && std::fflush(file.get()) != 0)
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

tracer_actor::behavior_type tracer_impl(tracer_ptr self, file_ptr file,
                                        std::string path) {
  self->state.file = std::move(file);
  self->state.path = std::move(path);
  return {
      [self](trace_atom, const trace_record& r) {
        auto& st = self->state;
        st.write(r);
        // Flush whenever the mailbox runs dry: bursts cost one write, and a
        // crash loses at most the records still queued.
        if (self->mailbox().empty())
          st.flush();
      },
      [self](shutdown_atom) {
        self->state.flush();
        self->quit();
        return caf::ok_atom::value;
      },
  };
}

} // namespace

std::string trace_line(const trace_record& r) {
  // ordered_json keeps the keys in the documented order, for human readers.
  nlohmann::ordered_json j{
      {"ts_ns", r.ts_ns}, {"from", r.from}, {"to", r.to}, {"msg", r.msg}};
  if (r.id != 0)
    j["id"] = r.id;
  return j.dump(-1, ' ', false,
                nlohmann::ordered_json::error_handler_t::replace);
}

std::string unnamed_sender(const caf::actor_addr& addr) {
  return addr ? "actor:" + std::to_string(addr.id()) : "server";
}

tracer_actor spawn_tracer(caf::actor_system& sys, const std::string& path) {
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
                                                path);
}

} // namespace chat
