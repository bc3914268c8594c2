// Workspace images (codeyard/images.hpp) and the local backend serving PodSpec::image. The
// [seeds] cases use the image the ctest fixture "images: build the seeds image" makes once
// per build tree with `codeyard image build` (tests/images/build_seeds_image.sh): real
// debootstrap, real pods; none is skipped for want of it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "codeyard/images.hpp"
#include "executor/pod_fixture.hpp"

namespace codeyard::testing {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("cy-images-" + NewUuid().substr(0, 8))) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A local executor serving the images in `images_dir` on a private state directory.
struct ImagePods {
  explicit ImagePods(const std::string& images_dir)
      : state_dir(fs::temp_directory_path() / ("cy-imgpods-" + NewUuid().substr(0, 8))) {
    auto opened = BackendRegistry::WithBuiltins().OpenExecutor(
        "local:?state_dir=" + state_dir.string() + "&images_dir=" + images_dir, BackendContext{});
    if (!opened) FAIL("cannot open the local executor: " << opened.error().ToString());
    executor = *opened;
  }
  ~ImagePods() {
    executor.reset();
    std::error_code ec;
    fs::remove_all(state_dir, ec);
  }
  ImagePods(const ImagePods&) = delete;
  ImagePods& operator=(const ImagePods&) = delete;

  std::shared_ptr<Pod> New(const std::string& image) const {
    PodSpec spec = PodFixture::DefaultSpec();
    spec.limits.memory_bytes = uint64_t{512} << 20;
    spec.limits.pids = 128;
    spec.image = image;
    auto pod = executor->CreatePod(spec);
    if (!pod) FAIL("CreatePod with image \"" << image << "\": " << pod.error().ToString());
    return *pod;
  }

  fs::path state_dir;
  std::shared_ptr<Executor> executor;
};

const std::string kSeedsDir = CODEYARD_TEST_IMAGES_DIR;

}  // namespace

TEST_CASE("images: the mirror comes from the host's apt sources, deb822 and one-line", "[images]") {
  TempDir etc;
  SECTION("a deb822 .sources file; disabled stanzas and other suffixes are ignored") {
    Write(etc.path() / "sources.list.d/a.sources.disabled",
          "Types: deb\nURIs: http://wrong.example/debian\nSuites: bookworm\n");
    Write(etc.path() / "sources.list.d/b.sources",
          "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n\n"
          "Types: deb-src deb\n# a comment\nURIs: http://mirror.example/debian\n"
          "Suites: bookworm bookworm-updates\nComponents: main\n"
          "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
          "Types: deb\nURIs: http://security.example/debian-security\n"
          "Suites: bookworm-security\n");
    auto source = images::FindAptSource(etc.str(), "bookworm");
    REQUIRE(source.has_value());
    CHECK(source->uri == "http://mirror.example/debian");
    CHECK(source->keyring == "/usr/share/keyrings/debian-archive-keyring.gpg");
    auto security = images::FindAptSource(etc.str(), "bookworm-security");
    REQUIRE(security.has_value());
    CHECK(security->uri == "http://security.example/debian-security");
  }
  SECTION("a one-line sources.list with options comes first") {
    Write(etc.path() / "sources.list",
          "# deb http://commented.example/debian bookworm main\n"
          "deb-src http://src.example/debian bookworm main\n"
          "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n");
    Write(etc.path() / "sources.list.d/z.list", "deb http://later.example/debian bookworm main\n");
    auto source = images::FindAptSource(etc.str(), "bookworm");
    REQUIRE(source.has_value());
    CHECK(source->uri == "http://one.example/debian");
    CHECK(source->keyring == "/k.gpg");
  }
  SECTION("no source for the suite is kNotFound naming --mirror") {
    Write(etc.path() / "sources.list", "deb http://x.example/debian trixie main\n");
    auto source = images::FindAptSource(etc.str(), "bookworm");
    REQUIRE_FALSE(source.has_value());
    CHECK(source.error().code() == Error::Code::kNotFound);
    CHECK_THAT(source.error().message(), Catch::Contains("--mirror"));
  }
}

TEST_CASE("images: names are checked before they become paths", "[images]") {
  CHECK(images::ValidateName("seeds").has_value());
  CHECK(images::ValidateName("py3.11-sci_2").has_value());
  for (const char* bad : {"", ".hidden", "../x", "a/b", "Upper", "-dash"}) {
    INFO(bad);
    CHECK(images::ValidateName(bad).error().code() == Error::Code::kInvalidArgument);
  }
  TempDir dir;
  images::BuildOptions options;
  options.images_dir = dir.str();
  options.name = "x";
  options.packages = {"python3", "--root=/"};
  auto built = images::Build(options);
  REQUIRE_FALSE(built.has_value());
  CHECK(built.error().code() == Error::Code::kInvalidArgument);
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("images: a failed build leaves no image and no temporary directory", "[images]") {
  REQUIRE(::geteuid() == 0);  // the suite runs as root, as image builds need
  TempDir dir;
  images::BuildOptions options;
  options.images_dir = dir.str();
  options.name = "broken";
  // A mirror that refuses at once: debootstrap fails in its first phase.
  options.mirror = "http://127.0.0.1:9/debian";
  std::vector<std::string> lines;
  options.progress = [&](std::string_view line) { lines.emplace_back(line); };
  auto built = images::Build(options);
  REQUIRE_FALSE(built.has_value());
  CHECK(built.error().code() == Error::Code::kUnavailable);
  CHECK_THAT(built.error().message(), Catch::Contains("debootstrap failed"));
  // Only the package cache that later builds reuse.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    CHECK(entry.path().filename() == ".cache");
  }
  REQUIRE_FALSE(lines.empty());
  CHECK_THAT(lines.front(), Catch::Contains("debootstrap bookworm from http://127.0.0.1:9"));
  auto listed = images::List(dir.str());
  REQUIRE(listed.has_value());
  CHECK(listed->empty());
}

TEST_CASE("images: an image in use by a pod cannot be removed, and can be once the pod is gone",
          "[images]") {
  TempDir dir;
  // A minimal image: the pod's init runs from the host binary and needs no files of the
  // image to start, so an empty root shows the lock without a debootstrap.
  for (const char* sub : {"root/usr", "root/etc"})
    fs::create_directories(dir.path() / "tiny" / sub);
  Write(dir.path() / "tiny/manifest.json", R"({"packages":["none"],"size_bytes":1})");
  ImagePods pods(dir.str());
  auto listed = images::List(dir.str());
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().name == "tiny");
  CHECK(listed->front().packages == std::vector<std::string>{"none"});

  auto pod = pods.New("tiny");
  auto refused = images::Remove(dir.str(), "tiny");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kFailedPrecondition);
  CHECK_THAT(refused.error().message(), Catch::Contains("in use by a running pod"));
  REQUIRE(images::Get(dir.str(), "tiny").has_value());

  REQUIRE(pods.executor->DeletePod(pod->id()).has_value());
  pod.reset();
  REQUIRE(images::Remove(dir.str(), "tiny").has_value());
  CHECK(images::Get(dir.str(), "tiny").error().code() == Error::Code::kNotFound);
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("images: an unknown image is refused at CreatePod with its name", "[images]") {
  TempDir dir;
  ImagePods pods(dir.str());
  PodSpec spec = PodFixture::DefaultSpec();
  spec.image = "no-such-image";
  auto pod = pods.executor->CreatePod(spec);
  REQUIRE_FALSE(pod.has_value());
  CHECK(pod.error().code() == Error::Code::kNotFound);
  CHECK_THAT(pod.error().message(), Catch::Contains("\"no-such-image\""));
  // An executor without an images directory knows no image either.
  PodFixture plain;
  auto none = plain.executor().CreatePod(spec);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code() == Error::Code::kNotFound);
}

TEST_CASE("images: the seeds image has what the seeds promise", "[images][seeds]") {
  auto info = images::Get(kSeedsDir, "seeds");
  REQUIRE(info.has_value());
  for (const char* key : {"python3", "numpy", "scipy", "pandas", "matplotlib", "node", "gcc"}) {
    INFO(key);
    CHECK_FALSE(info->versions[key].empty());
  }
  CHECK(info->size_bytes > (int64_t{200} << 20));
  ImagePods pods(kSeedsDir);
  auto pod = pods.New("seeds");

  const Ran python = RunIn(*pod, {"python3", "-c",
                                  "import numpy, scipy, pandas, matplotlib, scipy.linalg\n"
                                  "matplotlib.use('Agg')\n"
                                  "import matplotlib.pyplot as plt\n"
                                  "plt.plot([1, 2]); plt.savefig('/tmp/p.png')\n"
                                  "print(scipy.linalg.det(numpy.eye(3) * 2), "
                                  "pandas.Series([1, 2]).sum())"});
  INFO(python.err);
  CHECK(python.status.exit_code == 0);
  CHECK(python.out == "8.0 3\n");

  const Ran node = RunIn(*pod, {"node", "-e", "console.log([1, 2, 3].map(x => x * 2).join())"});
  INFO(node.err);
  CHECK(node.status.exit_code == 0);
  CHECK(node.out == "2,4,6\n");

  const Ran c = Shell(*pod,
                      "cd /tmp && printf '#include <stdio.h>\\nint main(void){puts(\"c ok\");}' "
                      "> a.c && gcc a.c -o a && ./a && printf '#include <iostream>\\nint "
                      "main(){std::cout << \"c++ ok\" << std::endl;}' > b.cpp && g++ b.cpp -o "
                      "b && ./b && cc --version >/dev/null");
  INFO(c.err);
  CHECK(c.status.exit_code == 0);
  CHECK(c.out == "c ok\nc++ ok\n");
}

TEST_CASE("images: the host's /usr stays the default beside an image", "[images][seeds]") {
  // cmake is on the host (the build needs it) and not in the image; scipy the other way.
  REQUIRE(fs::exists("/usr/bin/cmake"));
  REQUIRE_FALSE(fs::exists(kSeedsDir + "/seeds/root/usr/bin/cmake"));
  ImagePods pods(kSeedsDir);
  auto host = pods.New("");
  auto image = pods.New("seeds");
  CHECK(Shell(*host, "test -x /usr/bin/cmake").status.exit_code == 0);
  CHECK(Shell(*image, "test -x /usr/bin/cmake").status.exit_code == 1);
  CHECK(Shell(*image, "test -d /usr/lib/python3/dist-packages/scipy").status.exit_code == 0);
  // The image is read-only in the pod, like the host's /usr.
  CHECK(Shell(*image, "touch /usr/bin/x 2>/dev/null").status.exit_code != 0);
  // Both read the same seeds image at once: it is shared, not copied.
  auto second = pods.New("seeds");
  CHECK(Shell(*second, "python3 -c 'import scipy'").status.exit_code == 0);
  auto refused = images::Remove(kSeedsDir, "seeds");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kFailedPrecondition);
}

}  // namespace codeyard::testing
