// A second process for the storage tests:
//   storage_stress_helper migrate URI              apply migrations, print the version
//   storage_stress_helper increment URI WS N       N conflict-retrying counter increments
//   storage_stress_helper claim URI USERS REVIEWS   one thread per user (comma-separated ids),
//                                                   each claiming every review; prints the wins
//   storage_stress_helper exec URI SQL             one write transaction running SQL
// Exit 0 on success; otherwise the error on stderr and exit 1.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/schema.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/reviews.hpp"
#include "core/store/transact.hpp"
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
  if (command == "claim" && argc == 5) {
    // Claims race other processes' claims: a win is a claim that succeeded, a loss must be a
    // conflict; anything else fails the helper.
    auto split = [](const std::string& list) {
      std::vector<std::string> out;
      std::stringstream in(list);
      for (std::string item; std::getline(in, item, ',');) out.push_back(item);
      return out;
    };
    Options options;
    options.storage = std::move(*storage);
    auto platform = Platform::Open(options);
    if (!platform) {
      std::fprintf(stderr, "%s\n", platform.error().ToString().c_str());
      return 1;
    }
    Reviews reviews(*platform);
    const std::vector<std::string> users = split(argv[3]);
    const std::vector<std::string> ids = split(argv[4]);
    std::atomic<int> wins{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (const std::string& user : users) {
      threads.emplace_back([&, user] {
        for (const std::string& id : ids) {
          auto claimed = reviews.Claim(user, id);
          if (claimed) {
            ++wins;
          } else if (claimed.error().code() != Error::Code::kConflict) {
            std::fprintf(stderr, "%s\n", claimed.error().ToString().c_str());
            ++failures;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    std::printf("won %d\n", wins.load());
    return failures == 0 ? 0 : 1;
  }
  if (command == "exec" && argc == 4) {
    auto r = store::Transact(**storage, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
      CY_TRY(const int64_t changed, tx.Exec(argv[3], {}));
      std::printf("changed %lld\n", static_cast<long long>(changed));
      return {};
    });
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr, "unknown command %s\n", command.c_str());
  return 2;
}
