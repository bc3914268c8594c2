"""Builds the codeyard package through the project's CMake (the extension needs the whole
library). CODEYARD_BUILD_DIR names a configured build directory to reuse (the ctest does);
otherwise a fresh one is configured under setuptools' build_temp. CODEYARD_SOURCE_DIR names
the checkout when this folder was copied out of it. The pod launcher, codeyard-pod, goes into
the package beside the extension, where codeyard/__init__.py points the local sandbox at it."""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("CODEYARD_SOURCE_DIR") or HERE.parents[1])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        package = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        build_dir = os.environ.get("CODEYARD_BUILD_DIR")
        if not build_dir:
            build_dir = str(Path(self.build_temp).resolve() / "cmake")
            subprocess.run(["cmake", "-S", str(ROOT), "-B", build_dir, "-G", "Ninja",
                            "-DCMAKE_BUILD_TYPE=Release"], check=True)
        subprocess.run(["cmake", "--build", build_dir, "--target", "codeyard_python",
                        "codeyard-pod"], check=True)
        package.mkdir(parents=True, exist_ok=True)
        built = Path(build_dir) / "python" / "codeyard"
        for so in built.glob("_codeyard*.so"):
            shutil.copy2(so, package / so.name)
        shutil.copy2(Path(build_dir) / "bin" / "codeyard-pod", package / "codeyard-pod")


setup(
    packages=["codeyard"],
    package_dir={"codeyard": "codeyard"},
    package_data={"codeyard": ["__init__.pyi", "py.typed", "codeyard-pod"]},
    ext_modules=[Extension("codeyard._codeyard", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
