// One shared, read-only copy of WordPress core under the state directory, taken from
// Debian's wordpress package, with our own wp-config.php that loads the tenant's
// configuration named by WPFLEET_SITE_CONFIG.
#pragma once

#include "platform/layout.h"
#include "platform/platform.h"
#include "util/result.h"

namespace wpfleet {

inline constexpr char kWordPressSource[] = "/usr/share/wordpress";

// An Error naming the Debian package when the copy is still to be made and the package
// is missing.
Status check_wordpress_source(const StateLayout& layout);

// Copies core unless it is there. The copy is made beside its final place and renamed,
// so a crash never leaves a half copy.
Status install_wordpress_core(const StateLayout& layout, const ProgressFn& progress);

}  // namespace wpfleet
