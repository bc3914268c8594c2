"""GET /api/v1/languages: the library's one language table, and /run accepting every entry."""

import pytest

from api_client import call, register

HELLO = {
    "python": "print('hi', input())\n",
    "node": "const fs = require('fs');\nconsole.log('hi', fs.readFileSync(0, 'utf8').trim());\n",
    "c": "#include <stdio.h>\nint main(void){char s[16]; scanf(\"%15s\", s); printf(\"hi %s\\n\", s);}\n",
    "cpp": "#include <iostream>\n#include <string>\nint main(){std::string s; std::cin >> s; "
           "std::cout << \"hi \" << s << \"\\n\";}\n",
    "bash": "read x; echo hi $x\n",
}


@pytest.fixture(scope="module")
def token(server):
    return register(server)["access_token"]


def test_the_table_is_public_and_complete(server):
    status, _, doc = call(server, "GET", "/languages")
    assert status == 200, doc
    ids = [entry["id"] for entry in doc["languages"]]
    assert ids == ["python", "node", "c", "cpp", "bash"]
    by_id = {entry["id"]: entry for entry in doc["languages"]}
    assert by_id["python"]["compiled"] is False and by_id["python"]["compile_command"] == []
    assert by_id["python"]["run_command"] == ["python3", "{main}"]
    assert "py" in by_id["python"]["aliases"] and "py" in by_id["python"]["extensions"]
    for compiled in ("c", "cpp"):
        entry = by_id[compiled]
        assert entry["compiled"] is True
        # argv templates, never a shell string
        assert entry["compile_command"][0] in ("gcc", "g++") and "{sources}" in entry["compile_command"]
        assert entry["run_command"] == ["./{binary}"]
        assert entry["compile_time_limit_s"] > 0 and entry["compile_output_limit_kb"] > 0
    assert by_id["cpp"]["source_file"] == "main.cpp"


def test_run_accepts_every_id_and_alias_of_the_table(server, token):
    _, _, doc = call(server, "GET", "/languages")
    for entry in doc["languages"]:
        for name in [entry["id"]] + entry["aliases"][:1]:
            status, _, ran = call(server, "POST", "/run", token=token, json_body={
                "language": name, "files": {entry["source_file"]: HELLO[entry["id"]]},
                "stdin": "there\n"})
            assert status == 200, (name, ran)
            assert ran["verdict"] == "ok", (name, ran)
            assert ran["stdout"] == "hi there\n", (name, ran)
