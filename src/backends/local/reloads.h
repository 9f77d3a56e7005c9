// The php-fpm and nginx reloads of the local backend's runtime and route providers,
// shared by them and by the site provider, so that a new tenant's reloads overlap the
// rest of its apply instead of running one after the other before it.
//
// A commit whose batch holds only tenants whose file it has just written for the first
// time (a new pool, a new nginx site) begins its reload and returns: the configuration
// check and the signal run on another thread. Those tenants' site step follows in the
// same apply (the plan rebuilds every later kind of a created one) and finishes the
// reloads before its first page, so both checks and reloads run at once and while the
// template is copied and the installer's PHP runs. Every other commit (an update, a
// removal, a commit after a crash, tenant sleep) waits for its reload, as before. A kill
// -9 before a deferred reload signalled its server leaves the new tenants' journal
// unfinished, and the next apply's recovery reloads both servers (Engine::recover): until
// then the tenants are not recorded as sites, and verify names the unfinished apply.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <mutex>

#include "platform/layout.h"
#include "platform/platform.h"
#include "util/result.h"

namespace wpfleet::local {

class Reloads {
 public:
  explicit Reloads(const StateLayout& layout) : layout_(layout) {}
  // Finishes what is still in flight: the process never ends (and so never releases the
  // state directory's lock) while a server it signalled is still loading.
  ~Reloads();
  Reloads(const Reloads&) = delete;
  Reloads& operator=(const Reloads&) = delete;

  // Reloads `service`, first finishing a reload of it still in flight (php-fpm ends on a
  // second SIGUSR2 that arrives while it re-executes itself). With `defer` it returns at
  // once, and finish() waits for the check, the signal and the reload.
  Status reload(Service service, bool defer);

  // Waits for every reload begun and not finished yet. A reload that failed fails every
  // call until the service is reloaded again, so each of the tenants waiting says why.
  Status finish();
  // The same for one service.
  Status finish(Service service);

 private:
  Status finish_locked(Service service);
  StateLayout layout_;
  std::mutex mutex_;
  std::map<Service, std::future<Status>> pending_;
  std::map<Service, Status> outcome_;
};

// What a provider's ensure()s since its last commit wrote: whether each of those
// tenants' files was new. Parallel ensure()s of one kind note into it.
class ReloadBatch {
 public:
  void note(bool written_first_time);
  // Whether the commit may defer its reload (only new tenants since the last call), and
  // starts the next batch.
  bool take_deferrable();

 private:
  std::mutex mutex_;
  int tenants_ = 0;
  bool all_new_ = true;
};

}  // namespace wpfleet::local
