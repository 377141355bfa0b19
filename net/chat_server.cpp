#include "net/chat_server.hpp"

#include <algorithm>
#include <optional>

#include <sys/resource.h>
#include <thread>
#include <vector>

#include <malloc.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include "actors/log.hpp"
#include "actors/placement.hpp"
#include "actors/registry.hpp"
#include "actors/tracer.hpp"
#include "net/cluster.hpp"
#include "net/listener.hpp"
#include "net/write_batch.hpp"

namespace chat::net {

namespace {

/// Raises the soft open-files limit to the hard one and returns how many
/// connections fit under it, keeping a margin for the process's other files.
std::size_t connections_allowed_by_fd_limit() {
  constexpr rlim_t margin = 64;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return 1024 - margin;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  auto files = std::min<rlim_t>(lim.rlim_cur, 1 << 24);
  return files > 2 * margin ? files - margin : files / 2;
}

/// Ends the message trace once every other actor is done: their last
/// records are queued by then, and the reply comes after they are written.
void close_trace(chat::context& ctx, caf::actor_system& sys) {
  if (!ctx.tracing())
    return;
  caf::scoped_actor self{sys};
  self->request(ctx.tracer, std::chrono::seconds(5), shutdown_atom::value)
      .receive([](caf::ok_atom) {},
               [&](caf::error& err) {
                 log::warn("trace file not closed cleanly: " + sys.render(err));
               });
  ctx.tracer = nullptr;
}

/// Waits for every actor but hidden ones (the tracer) to end; false if some
/// still run after `patience`. Every actor answers the requests it holds as
/// it ends (actors/held_promises.hpp), so all end within the longest
/// request timeout. Should one still wait for a reply that never comes,
/// CAF 0.17 would not end it even when told to (an awaiting actor holds
/// back exit messages), and an unbounded wait would keep the process alive
/// for good.
bool all_actors_done_within(caf::actor_system& sys,
                            std::chrono::milliseconds patience) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (sys.registry().running() > 0) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

/// Hands the heap's free pages back to the system once a second. A burst
/// (a thousand logins' presence frames) leaves free memory scattered
/// through the allocator's arenas, which glibc keeps, and RSS counts, until
/// asked.
void trim_heap_every_second(boost::asio::steady_timer& timer) {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([&timer](boost::system::error_code ec) {
    if (ec)
      return;
    malloc_trim(0);
    trim_heap_every_second(timer);
  });
}

} // namespace

// Member order is start-up order; destruction runs in reverse. The I/O
// contexts are destroyed before the actor system (connections hold session
// handles), and only after every actor is done (actors post to connections).
// The server context outlives the contexts: handlers still queued in a
// stopped context own connections, whose destructors reach it.
// One context per I/O thread: a connection's handlers all run on one thread,
// whose write batch gathers its sockets' writes.
struct chat_server::impl {
  chat::context ctx;
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  std::unique_ptr<server_context> srv;
  std::vector<std::unique_ptr<boost::asio::io_context>> iocs;
  std::shared_ptr<listener> acceptor;
  node_actor node; // in a cluster
  std::optional<boost::asio::steady_timer> heap_trim;
  std::vector<std::thread> io_threads;
  std::string bind;
  bool stopped = false;
};

chat_server::chat_server(const server_options& opts)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  d.ctx.lim = opts.lim;
  if (d.ctx.lim.max_connections == 0)
    d.ctx.lim.max_connections = connections_allowed_by_fd_limit();
  d.bind = opts.bind;
  log::set_level(opts.log_level);
  d.cfg.set("scheduler.max-threads", opts.actor_threads);
  d.cfg.set("scheduler.policy", caf::atom_from_string(opts.scheduler));
  std::optional<cluster_identity> node_id;
  if (opts.cluster.port) {
    configure_cluster(d.cfg, opts.cluster);
    node_id = settle_identity(opts.cluster);
    // Before the registry starts: names are claimed in the node's name,
    // and ids carry its slot.
    d.ctx.node_name = node_id->name;
    d.ctx.stats.node_name = node_id->name;
    d.ctx.node_timeout = opts.cluster.node_timeout;
    d.ctx.ids.enter_cluster(placement_hash(node_id->name, "id slot"));
    d.ctx.stats.cluster_nodes.store(1);
  }
  d.sys.emplace(d.cfg);
  // Before any other actor, which may trace from its first message on.
  if (!opts.trace_file.empty()) {
    d.ctx.tracer = spawn_tracer(*d.sys, opts.trace_file, d.ctx.node_name);
    log::info("tracing messages between actors to " + opts.trace_file);
  }
  auto registry = spawn_registry(*d.sys, d.ctx);
  d.srv = std::make_unique<server_context>(d.ctx, *d.sys, registry, opts.www,
                                           opts.allowed_origins);
  try {
    boost::asio::ip::tcp::endpoint endpoint{
        boost::asio::ip::make_address(opts.bind), opts.port};
    std::vector<boost::asio::io_context*> contexts;
    for (int i = 0; i < opts.io_threads; ++i)
      contexts.push_back(
          d.iocs.emplace_back(std::make_unique<boost::asio::io_context>(1))
              .get());
    d.acceptor = std::make_shared<listener>(contexts, endpoint, *d.srv);
    if (node_id)
      d.node = start_cluster(*d.sys, registry, opts.cluster, *node_id, d.ctx);
  } catch (...) {
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    d.srv->registry = nullptr;
    d.sys->await_all_actors_done();
    close_trace(d.ctx, *d.sys);
    throw;
  }
  d.acceptor->run();
  trim_heap_every_second(d.heap_trim.emplace(*d.iocs[0]));
  for (auto& ioc : d.iocs)
    d.io_threads.emplace_back([&d, &ioc = *ioc, uring = opts.io_uring] {
      write_batch::run(ioc, &d.ctx.stats.socket_writes, uring);
    });
  log::info("listening on " + url() + " (www: " + opts.www +
            ", max connections: " + std::to_string(d.ctx.lim.max_connections) +
            ")");
}

chat_server::~chat_server() {
  stop();
}

uint16_t chat_server::port() const {
  return impl_->acceptor->port();
}

std::string chat_server::url() const {
  auto host = impl_->bind.find(':') != std::string::npos
                  ? "[" + impl_->bind + "]"
                  : impl_->bind;
  return "http://" + host + ":" + std::to_string(port());
}

void chat_server::drain() {
  auto& d = *impl_;
  if (d.srv->draining.exchange(true))
    return;
  log::info("shutting down");
  d.acceptor->stop();
  caf::anon_send(d.srv->registry, shutdown_atom::value);
}

void chat_server::stop(std::chrono::milliseconds grace,
                       std::chrono::milliseconds patience) {
  auto& d = *impl_;
  if (d.stopped)
    return;
  d.stopped = true;
  // 1. No new connections; sessions close with 1001 after their queues.
  drain();
  // 2. Give the clients `grace` to answer the close handshakes.
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (d.ctx.stats.connections.load() > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // 3. End the I/O threads. Reads that never completed never reach their
  //    sessions, so the actors are ended explicitly next.
  for (auto& ioc : d.iocs)
    ioc->stop();
  for (auto& t : d.io_threads)
    t.join();
  d.io_threads.clear();
  // 4. The registry ends every session, room and mirror, then itself; the
  //    node actor leaves the cluster (peers see it go at once).
  caf::anon_send_exit(d.srv->registry, caf::exit_reason::user_shutdown);
  d.srv->registry = nullptr;
  if (d.node) {
    caf::anon_send_exit(d.node, caf::exit_reason::user_shutdown);
    d.node = nullptr;
  }
  if (!all_actors_done_within(*d.sys, patience)) {
    log::error(std::to_string(d.sys->registry().running()) +
               " actors did not end within " +
               std::to_string(patience.count()) +
               " ms of the stop; stopping without them");
    d.sys->await_actors_before_shutdown(false);
  }
  // 5. The tracer is hidden from that wait: it ends last, with every line.
  close_trace(d.ctx, *d.sys);
  log::info("stopped");
}

caf::actor_system& chat_server::system() {
  return *impl_->sys;
}

registry_actor chat_server::registry() const {
  return impl_->srv->registry;
}

chat::context& chat_server::context() {
  return impl_->ctx;
}

} // namespace chat::net
