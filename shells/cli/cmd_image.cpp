// `codeyard image build NAME [--packages a,b] [--mirror URL] [--data DIR]`, `codeyard image
// list` and `codeyard image rm NAME`: workspace images under the data directory's images/
// (codeyard/images.hpp). Build progress goes to stderr, one line per phase.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "codeyard/images.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

struct ImageFlags {
  std::string name;
  std::string packages;  // comma-separated; "" = the default set
  std::string mirror;
  bool json = false;
};

std::string ImagesDir(const CommonOptions& common, const ImageFlags&) {
  const Config config = common.Load();
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(config.EffectiveImagesDir(), ec);
  if (ec) Raise(Error(Error::Code::kInvalidArgument, "images dir: " + ec.message()));
  return absolute.lexically_normal().string();
}

std::vector<std::string> SplitPackages(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string Megabytes(int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

void Build(const ImageFlags& flags, const CommonOptions& common) {
  images::BuildOptions options;
  options.images_dir = ImagesDir(common, flags);
  options.name = flags.name;
  if (!flags.packages.empty()) options.packages = SplitPackages(flags.packages);
  options.mirror = flags.mirror;
  options.progress = [](std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stderr);
  };
  auto built = images::Build(options);
  if (!built) Raise(built.error());
  std::printf("%s\t%s\n", built->name.c_str(), Megabytes(built->size_bytes).c_str());
  for (const auto& [key, version] : built->versions) {
    std::printf("  %s %s\n", key.c_str(), version.c_str());
  }
}

void List(const ImageFlags& flags, const CommonOptions& common) {
  auto listed = images::List(ImagesDir(common, flags));
  if (!listed) Raise(listed.error());
  for (const auto& info : *listed) {
    std::string packages;
    for (const auto& p : info.packages) packages += (packages.empty() ? "" : ",") + p;
    std::printf("%s\t%s\t%s\n", info.name.c_str(), Megabytes(info.size_bytes).c_str(),
                packages.c_str());
  }
}

void Remove(const ImageFlags& flags, const CommonOptions& common) {
  if (auto removed = images::Remove(ImagesDir(common, flags), flags.name); !removed) {
    Raise(removed.error());
  }
  std::printf("removed %s\n", flags.name.c_str());
}

}  // namespace

void AddImageCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("image", "build, list and remove workspace images");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  sudo codeyard image build py --packages python3,python3-numpy --data /var/lib/cy\n"
      "  codeyard image list --data /var/lib/cy\n"
      "  codeyard image rm py --data /var/lib/cy");
  auto flags = std::make_shared<ImageFlags>();
  auto common = std::make_shared<CommonOptions>();
  const auto dir_options = [&](CLI::App* sub) { common->AddTo(*sub); };

  auto* build = cmd->add_subcommand(
      "build", "make an image from Debian packages with debootstrap (needs root)");
  dir_options(build);
  build->footer(
      "Examples:\n"
      "  sudo codeyard image build default --data /var/lib/cy\n"
      "  sudo codeyard image build py --packages python3,python3-numpy --data /var/lib/cy");
  build->add_option("name", flags->name, "image name")->required();
  build->add_option("--packages", flags->packages,
                    "comma-separated packages (default: the seeds' Python 3 with numpy, scipy, "
                    "pandas, matplotlib; Node.js; gcc, g++)");
  build->add_option("--mirror", flags->mirror,
                    "Debian mirror URL (default: the apt source this machine uses)");
  build->callback([flags, common] { Build(*flags, *common); });

  auto* list = cmd->add_subcommand("list", "list images: name, size, packages");
  dir_options(list);
  list->footer(
      "Examples:\n"
      "  codeyard image list --data /var/lib/cy");
  list->callback([flags, common] { List(*flags, *common); });

  auto* rm = cmd->add_subcommand("rm", "remove an image (refused while a pod uses it)");
  dir_options(rm);
  rm->footer(
      "Examples:\n"
      "  codeyard image rm py --data /var/lib/cy");
  rm->add_option("name", flags->name, "image name")->required();
  rm->callback([flags, common] { Remove(*flags, *common); });
}

}  // namespace codeyard::cli
