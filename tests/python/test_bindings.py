"""The pybind11 module, imported by whichever interpreter runs this file (ctest runs it with
Debian's /usr/bin/python3 and with the python3 on PATH). stdlib unittest only, so it needs
nothing installed beyond the interpreter."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.environ["CODEYARD_PYTHON_DIR"])
import codeyard  # noqa: E402


class BindingsTest(unittest.TestCase):
    def test_version_and_ids(self):
        self.assertRegex(codeyard.version(), r"^\d+\.\d+\.\d+$")
        a, b = codeyard.new_uuid(), codeyard.new_uuid()
        self.assertEqual(len(a), 36)
        self.assertNotEqual(a, b)

    def test_open_sqlite_file(self):
        with tempfile.TemporaryDirectory() as d:
            p = codeyard.Platform.open(f"sqlite://{d}/py.db")
            self.assertGreaterEqual(p.schema_version, 1)
            self.assertEqual(p.storage_info()["backend"], "sqlite")
            p.ping()
            self.assertTrue(os.path.exists(f"{d}/py.db"))

    def test_postgres_when_given(self):
        uri = os.environ.get("CODEYARD_TEST_POSTGRES_URI")
        if uri is None:
            self.fail("CODEYARD_TEST_POSTGRES_URI is not set: run ./scripts/test")
        p = codeyard.Platform.open(uri)
        self.assertEqual(p.storage_info()["backend"], "postgres")
        p.ping()

    def test_errors_carry_a_code(self):
        with self.assertRaises(codeyard.Error) as ctx:
            codeyard.Platform.open("mysql://nope")
        self.assertEqual(ctx.exception.code, "invalid_argument")
        self.assertIn("unknown storage backend", str(ctx.exception))
        with self.assertRaises(codeyard.Error) as ctx:
            codeyard.Platform.open("postgres://u@127.0.0.1:1/db")
        self.assertEqual(ctx.exception.code, "unavailable")

    def test_run_in_a_sandbox(self):
        with tempfile.TemporaryDirectory() as d:
            runner = codeyard.Runner(f"local:?state_dir={d}/pods")
            r = runner.run({"main.py": "import sys\nprint(input()[::-1], sys.argv[1])\n"},
                           stdin="olleh\n", args=["x"])
            self.assertEqual(r["verdict"], "ok")
            self.assertEqual(r["stdout"], b"hello x\n")
            self.assertEqual(r["exit_code"], 0)
            slow = runner.run({"loop.py": "while True: pass\n"}, time_limit=0.5)
            self.assertEqual(slow["verdict"], "time_limit_exceeded")
            with self.assertRaises(codeyard.Error) as ctx:
                runner.run({"notes.txt": "hi"})
            self.assertEqual(ctx.exception.code, "invalid_argument")


if __name__ == "__main__":
    unittest.main(verbosity=1)
