#include "actors/announce.hpp"

#include "actors/protocol.hpp"

namespace chat {

void announce_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<frame>("chat::frame");
  cfg.add_message_type<entry>("chat::entry");
  cfg.add_message_type<name_claim>("chat::name_claim");
  cfg.add_message_type<name_entry>("chat::name_entry");
  cfg.add_message_type<std::vector<name_entry>>("chat::name_entries");
  cfg.add_message_type<node_info>("chat::node_info");
  cfg.add_message_type<std::vector<node_info>>("chat::node_infos");
  // Typed handles travel in messages too.
  cfg.add_message_type<room_actor>("chat::room_actor");
  cfg.add_message_type<room_delivery>("chat::room_delivery");
  cfg.add_message_type<registry_peer_actor>("chat::registry_peer_actor");
  cfg.add_message_type<node_actor>("chat::node_actor");
}

} // namespace chat
