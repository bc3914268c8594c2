// The registry factory of the fake executor ("fake:", fake_executor.hpp).
#pragma once

#include <memory>
#include <string_view>

#include "codeyard/backend/registry.hpp"

namespace codeyard {

Result<std::shared_ptr<Executor>> OpenFakeExecutor(std::string_view uri,
                                                   const BackendContext& context);

}  // namespace codeyard
