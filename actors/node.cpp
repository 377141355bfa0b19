#include "actors/node.hpp"

#include <map>
#include <set>

#include <caf/io/all.hpp>
#include <caf/openssl/manager.hpp>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "actors/instrument.hpp"
#include "actors/link_metrics.hpp"
#include "actors/log.hpp"

namespace chat {

namespace {

using probe_atom = caf::atom_constant<caf::atom("probe")>;

/// Whether something accepts TCP at host:port within `timeout`. The
/// middleman's connect blocks its actor, every other connect with it, for
/// minutes when SYNs are dropped: it only gets addresses that answer.
bool answers(const std::string& host, uint16_t port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints,
                    &found) != 0)
    return false;
  bool ok = false;
  for (auto* a = found; a && !ok; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK, 0);
    if (fd < 0)
      continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      ok = ::poll(&p, 1, timeout_ms) == 1 &&
           ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return ok;
}

/// Probes on a thread of its own: name lookups and connects may block.
caf::behavior prober(caf::event_based_actor*, int timeout_ms) {
  return {[timeout_ms](probe_atom, const std::string& host, uint16_t port) {
    return answers(host, port, timeout_ms);
  }};
}

struct peer_link {
  node_info info;
  node_actor handle;
};

struct node_state {
  static inline const char* name = "node";
  context* ctx = nullptr;
  node_info me;
  registry_actor registry;
  cluster_options opts;
  caf::io::middleman_actor
      connector; // the middleman's (or OpenSSL manager's) actor
  caf::actor probe;
  std::set<std::string> known; // addresses of every node heard of
  std::set<std::string> seeds; // --join: always tried
  std::map<std::string, std::string> name_at; // address -> name, once met
  std::set<std::string> trying;               // addresses being connected
  std::map<std::string, peer_link> peers;     // up, by name
};

using node_ptr = node_actor::stateful_pointer<node_state>;

void count(node_ptr self) {
  chat::count(self, *self->state.ctx, actor_kind::node);
}

std::vector<std::string> addresses(node_ptr self) {
  auto& st = self->state;
  std::vector<std::string> out(st.known.begin(), st.known.end());
  out.push_back(st.me.address);
  return out;
}

/// Tells the registry who is alive, and /metrics how many.
void publish_view(node_ptr self) {
  auto& st = self->state;
  std::vector<node_info> view;
  for (auto& [name, peer] : st.peers)
    view.push_back(peer.info);
  st.ctx->stats.cluster_nodes.store(static_cast<int64_t>(view.size() + 1));
  self->send(st.registry, view_atom::value, std::move(view));
}

void learn(node_ptr self, const std::vector<std::string>& addrs) {
  auto& st = self->state;
  for (auto& a : addrs)
    if (a != st.me.address)
      st.known.insert(a);
}

/// A peer is up (it said hello, or answered ours).
void add_peer(node_ptr self, node_info info, node_actor handle) {
  auto& st = self->state;
  if (info.name == st.me.name)
    return;
  auto it = st.peers.find(info.name);
  if (it != st.peers.end()) {
    if (it->second.info.incarnation == info.incarnation)
      return; // both of us connected at once: one link is enough
    // Restarted: its former life is over (its monitor may not have fired).
    self->demonitor(it->second.handle.address());
    st.peers.erase(it);
  }
  log::info("node " + info.name + " is up (" + info.address + ")");
  // Two nodes whose ids end alike could issue one id twice: the node with
  // the greater name moves to a free slot.
  if (info.id_slot == st.me.id_slot && info.name < st.me.name) {
    std::set<uint64_t> used{info.id_slot};
    for (auto& [name, peer] : st.peers)
      used.insert(peer.info.id_slot);
    auto slot = st.me.id_slot;
    while (used.count(slot))
      slot = (slot + 1) % message_ids::cluster_stride;
    st.me.id_slot = slot;
    st.ctx->ids.set_slot(slot);
  }
  st.known.insert(info.address);
  st.name_at[info.address] = info.name;
  self->monitor(handle);
  auto name = info.name;
  if (auto* row = st.ctx->stats.links.make(name))
    row->up = true;
  st.peers.emplace(name, peer_link{std::move(info), std::move(handle)});
  publish_view(self);
}

bool is_up(node_ptr self, const std::string& address) {
  for (auto& [name, peer] : self->state.peers)
    if (peer.info.address == address)
      return true;
  return false;
}

/// Says hello to the node actor just reached at `address`.
void greet(node_ptr self, const std::string& address, node_actor peer) {
  auto& st = self->state;
  self->request(peer, st.ctx->node_timeout, hello_atom::value, st.me)
      .then(
          [self, address, peer](node_info& info,
                                std::vector<std::string>& addrs) {
            auto& st = self->state;
            st.trying.erase(address);
            learn(self, addrs);
            auto name = info.name;
            add_peer(self, std::move(info), peer);
            // We made this link: find its socket, and tell the peer where
            // our end is so that it can find its own.
            auto hp = split_host_port(address);
            auto* row = st.ctx->stats.links.find(name);
            if (!hp || !row)
              return;
            int fd = find_tcp_socket(0, hp->second);
            row->fd = fd;
            if (fd >= 0)
              self->send(peer, link_atom::value, st.me.name, local_port_of(fd));
          },
          [self, address](caf::error& err) {
            self->state.trying.erase(address);
            log::debug("no hello from " + address + ": " +
                       self->system().render(err));
          });
}

/// Links to the node at `address`: probe, connect, check, greet.
void connect(node_ptr self, const std::string& address) {
  auto& st = self->state;
  auto hp = split_host_port(address);
  if (!hp || !st.trying.insert(address).second)
    return;
  auto fail = [self, address](caf::error& err) {
    self->state.trying.erase(address);
    log::debug("cannot link to " + address + ": " + self->system().render(err));
  };
  self->request(st.probe, st.ctx->node_timeout, probe_atom::value, hp->first,
                hp->second)
      .then(
          [self, address, hp, fail](bool reachable) mutable {
            auto& st = self->state;
            if (!reachable) {
              st.trying.erase(address);
              return;
            }
            self->request(st.connector, st.ctx->node_timeout,
                          caf::connect_atom::value, hp->first, hp->second)
                .then(
                    [self, address](caf::node_id&, caf::strong_actor_ptr& ptr,
                                    std::set<std::string>& ifs) {
                      // actor_cast checks nothing: compare the interfaces.
                      if (!ptr ||
                          ifs != self->system().message_types<node_actor>()) {
                        log::warn(address + " is no actorchat node of this "
                                            "version");
                        self->state.trying.erase(address);
                        return;
                      }
                      greet(self, address, caf::actor_cast<node_actor>(ptr));
                    },
                    fail);
          },
          fail);
}

/// Whether this node links to `address`, or waits for it to link here. Of
/// two nodes that met before, the one with the smaller name links to the
/// other: one link per pair, and a link through a proxy stays the only one
/// (a cut then cuts them apart). Seeds and strangers are always tried.
bool initiates(node_ptr self, const std::string& address) {
  auto& st = self->state;
  auto it = st.name_at.find(address);
  return st.seeds.count(address) || it == st.name_at.end() ||
         st.me.name < it->second;
}

/// Tries every known node that is not up; runs again after a while.
void tick(node_ptr self) {
  auto& st = self->state;
  for (auto& address : std::set<std::string>(st.known))
    if (!is_up(self, address) && initiates(self, address))
      connect(self, address);
  self->delayed_send(self, st.opts.retry_every, tick_atom::value);
}

node_actor::behavior_type node_impl(node_ptr self, registry_actor registry,
                                    cluster_options opts, context* ctx) {
  auto& st = self->state;
  st.ctx = ctx;
  st.registry = std::move(registry);
  st.opts = std::move(opts);
  st.me.name = ctx->node_name;
  st.me.address = st.opts.address;
  st.me.incarnation = static_cast<uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count());
  st.me.registry = caf::actor_cast<registry_peer_actor>(st.registry);
  st.me.id_slot = ctx->ids.slot();
  st.connector = st.opts.tls ? self->system().openssl_manager().actor_handle()
                             : self->system().middleman().actor_handle();
  st.probe = self->spawn<caf::detached + caf::linked>(
      prober,
      static_cast<int>(std::min<int64_t>(1000, st.ctx->node_timeout.count())));
  learn(self, st.opts.join);
  st.seeds.insert(st.opts.join.begin(), st.opts.join.end());
  publish_view(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    count(self);
    auto& st = self->state;
    for (auto it = st.peers.begin(); it != st.peers.end(); ++it)
      if (it->second.handle.address() == dm.source) {
        if (auto* row = st.ctx->stats.links.find(it->first)) {
          row->up = false;
          row->fd = -1;
        }
        log::warn("node " + it->first + " is down (" +
                  self->system().render(dm.reason) + ")");
        st.peers.erase(it);
        publish_view(self);
        return;
      }
  });
  self->send(self, tick_atom::value);
  return {
      [self](hello_atom, node_info& info)
          -> caf::result<node_info, std::vector<std::string>> {
        count(self);
        auto& st = self->state;
        if (info.name == st.me.name && info.incarnation != st.me.incarnation) {
          log::error("node " + info.address + " calls itself " + info.name +
                     " too: node names must be unique");
          return make_error(caf::sec::invalid_argument);
        }
        auto peer = caf::actor_cast<node_actor>(self->current_sender());
        if (!peer) {
          // CAF delivers a remote message without its sender when it has
          // no route back to that node yet: nobody to answer or watch. The
          // peer's hello times out and it greets again.
          log::warn("hello from node " + info.name +
                    " without a sender: ignored");
          return make_error(caf::sec::invalid_argument);
        }
        add_peer(self, std::move(info), peer);
        return {st.me, addresses(self)};
      },
      [self](tick_atom) {
        count(self);
        tick(self);
      },
      [self](link_atom, const std::string& peer, uint16_t port) {
        count(self);
        auto& st = self->state;
        if (auto* row = st.ctx->stats.links.find(peer))
          row->fd = find_tcp_socket(st.opts.listen_port, port);
      },
  };
}

} // namespace

std::optional<std::pair<std::string, uint16_t>>
split_host_port(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    return std::nullopt;
  auto host = address.substr(0, colon);
  if (host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port_text = address.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos ||
      port_text.size() > 5)
    return std::nullopt;
  auto port = std::stoul(port_text);
  if (port == 0 || port > 65535)
    return std::nullopt;
  return std::make_pair(host, static_cast<uint16_t>(port));
}

node_actor spawn_node(caf::actor_system& sys, registry_actor registry,
                      cluster_options opts, context& ctx) {
  return sys.spawn(node_impl, std::move(registry), std::move(opts), &ctx);
}

} // namespace chat
