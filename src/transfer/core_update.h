// `wpfleet core update`: moving a local environment's tenants to the WordPress core its
// fleet file names, one tenant at a time, each as an operation (`wpfleet history`,
// `wpfleet rollback`):
//
//   snapshot -> switching (the tenant converged as apply converges it: php-fpm pool, nginx
//   root, core theme links, the database brought up by WordPress's wp_upgrade) ->
//   checking (the site's options written and its home page answering 200, the database
//   at the core's version, the tenant's health checks) -> done
//
// A failure after the snapshot puts the tenant back ("undoing"): converged on its former
// core (as apply would with the environment's core replaced by it), then its content
// restored from the snapshot. Both steps start from scratch when repeated, so a move a
// crash interrupted is undone by running the undo again, which the next command on the
// tenant does (Operations::finish_interrupted); until then verify names it. A rollback
// of a move is a move back, with a snapshot of its own, so it can be rolled back too.
//
// The Operations members that do this are defined in core_update.cc.
#pragma once

#include <optional>
#include <string>

#include "state/store.h"

namespace wpfleet::transfer {

inline constexpr char kCoreUpdateKind[] = "core update";

// The cores a move goes between (as an environment's `core` names them), recorded in its
// operation's swap note before anything changes: what undoing it needs.
struct CoreMove {
  std::string from;
  std::string to;
};
std::string core_move_note(const CoreMove& move);
// The cores of an operation that moves a tenant's core; none for every other operation.
std::optional<CoreMove> core_move(const OperationRecord& op);

}  // namespace wpfleet::transfer
