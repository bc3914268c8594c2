// A second process for the storage tests:
//   storage_stress_helper migrate URI              apply migrations, print the version
//   storage_stress_helper increment URI WS N       N conflict-retrying counter increments
// Exit 0 on success; otherwise the error on stderr and exit 1.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/schema.hpp"
#include "storage/counter.hpp"

int main(int argc, char** argv) {
  using namespace codeyard;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s migrate URI | increment URI WORKSPACE N\n", argv[0]);
    return 2;
  }
  const std::string command = argv[1];
  auto storage = BackendRegistry::WithBuiltins().OpenStorage(argv[2], {});
  if (!storage) {
    std::fprintf(stderr, "%s\n", storage.error().ToString().c_str());
    return 1;
  }
  if (command == "migrate") {
    auto version = ApplyMigrations(**storage, *DefaultClock());
    if (!version) {
      std::fprintf(stderr, "%s\n", version.error().ToString().c_str());
      return 1;
    }
    std::printf("%lld\n", static_cast<long long>(*version));
    return 0;
  }
  if (command == "increment" && argc == 5) {
    auto r = testing::IncrementCounter(**storage, argv[3], std::atoi(argv[4]));
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return 1;
    }
    std::printf("conflicts %d\n", *r);
    return 0;
  }
  std::fprintf(stderr, "unknown command %s\n", command.c_str());
  return 2;
}
