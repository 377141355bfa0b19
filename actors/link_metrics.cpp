#include "actors/link_metrics.hpp"

#include <cstring>

#include <linux/tcp.h> // the full tcp_info (glibc's lacks the byte counts)
#include <netinet/in.h>
#include <sys/socket.h>

namespace chat {

link_metrics::row* link_metrics::find(std::string_view peer) {
  auto n = used_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i)
    if (peer == rows_[i].name)
      return &rows_[i];
  return nullptr;
}

link_metrics::row* link_metrics::make(std::string_view peer) {
  if (auto* r = find(peer))
    return r;
  auto n = used_.load(std::memory_order_relaxed);
  if (n == max_peers || peer.size() >= sizeof rows_[n].name)
    return nullptr;
  std::memcpy(rows_[n].name, peer.data(), peer.size());
  used_.store(n + 1, std::memory_order_release); // publishes the name
  return &rows_[n];
}

void link_metrics::sent(std::string_view peer, uint64_t messages) {
  if (auto* r = find(peer))
    r->messages_out.fetch_add(messages, std::memory_order_relaxed);
}

void link_metrics::received(std::string_view peer, uint64_t messages) {
  if (auto* r = find(peer))
    r->messages_in.fetch_add(messages, std::memory_order_relaxed);
}

bool tcp_bytes(int fd, uint64_t& sent, uint64_t& received) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (fd < 0 || ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
    return false;
  sent = info.tcpi_bytes_acked;
  received = info.tcpi_bytes_received;
  return true;
}

void link_metrics::render(std::ostream& out) const {
  auto n = used_.load(std::memory_order_acquire);
  if (n == 0)
    return;
  out << "# HELP chat_cluster_link_up Whether the link to a peer node is up.\n"
         "# TYPE chat_cluster_link_up gauge\n";
  for (std::size_t i = 0; i < n; ++i)
    out << "chat_cluster_link_up{peer=\"" << rows_[i].name << "\"} "
        << (rows_[i].up.load() ? 1 : 0) << '\n';
  out << "# HELP chat_cluster_link_messages_total Messages of our actors "
         "sent to and received from a peer node.\n"
         "# TYPE chat_cluster_link_messages_total counter\n";
  for (std::size_t i = 0; i < n; ++i)
    out << "chat_cluster_link_messages_total{peer=\"" << rows_[i].name
        << "\",direction=\"out\"} " << rows_[i].messages_out.load() << '\n'
        << "chat_cluster_link_messages_total{peer=\"" << rows_[i].name
        << "\",direction=\"in\"} " << rows_[i].messages_in.load() << '\n';
  out << "# HELP chat_cluster_link_bytes_total Bytes TCP carried on the link "
         "to a peer node (its current connection).\n"
         "# TYPE chat_cluster_link_bytes_total counter\n";
  for (std::size_t i = 0; i < n; ++i) {
    uint64_t sent = 0, received = 0;
    tcp_bytes(rows_[i].fd.load(), sent, received);
    out << "chat_cluster_link_bytes_total{peer=\"" << rows_[i].name
        << "\",direction=\"out\"} " << sent << '\n'
        << "chat_cluster_link_bytes_total{peer=\"" << rows_[i].name
        << "\",direction=\"in\"} " << received << '\n';
  }
}

} // namespace chat

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace chat {

namespace {

uint16_t port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

} // namespace

uint16_t local_port_of(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return port_of(a);
}

int find_tcp_socket(uint16_t local_port, uint16_t peer_port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir)
    return -1;
  int found = -1;
  while (auto* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    int fd = std::atoi(e->d_name);
    char target[64];
    auto path = std::string{"/proc/self/fd/"} + e->d_name;
    auto n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n <= 0 ||
        std::string_view(target, static_cast<std::size_t>(n)).substr(0, 7) !=
            "socket:")
      continue;
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0 ||
        port_of(peer) != peer_port)
      continue;
    if (local_port != 0 && local_port_of(fd) != local_port)
      continue;
    found = fd;
    break;
  }
  ::closedir(dir);
  return found;
}

} // namespace chat
