// Everything an embedding application needs, in one include. Backend writers include the
// headers under codeyard/backend/ themselves.
#pragma once

#include "codeyard/accounts.hpp"
#include "codeyard/admin.hpp"
#include "codeyard/audit.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/exec_limits.hpp"
#include "codeyard/id.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/log.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/reviews.hpp"
#include "codeyard/services.hpp"
