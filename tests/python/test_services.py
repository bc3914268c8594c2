"""The codeyard module's IDE and live services (py19b): settings, search, archives, download
links, the paged file tree, sync status, events, interactive runs, re-authentication of
terminals and runs, language servers, ports, images, the rest of reviews and zipped problem
imports. Real storage (SQLite, or PostgreSQL in the postgres variant), the real local sandbox.
Run by ctest "python: pytest (...)" with test_module.py."""
import gc
import io
import json
import os
import time
import zipfile

import pytest

import codeyard
from conftest import REPO

PASSWORD = "correct horse battery"


def user(cy, name="ada", **kwargs):
    return cy.accounts.register(name, PASSWORD, **kwargs)


# Tests of what does not depend on the storage backend (a pod's programs, files on disk) run
# once, in the SQLite variant, to keep the suite's time down.
once = pytest.mark.skipif(os.environ.get("CODEYARD_PYTHON_TEST_STORAGE") == "postgres",
                          reason="no storage behaviour: run in the SQLite variant")


def until(what, check, timeout=30):
    """Calls check() until it returns a true value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(0.05)


def test_ide_services_over_stored_files(cy):
    # One Codeyard and two users for settings, search, archives, file pages and sync status
    # (each registration hashes a password: the suite's time is in those).
    u, other = user(cy), user(cy, "bob")
    check_settings(cy, u, other)
    w = cy.workspaces.create(u.id, "ide")
    check_search(cy, w, other)
    check_archives(cy, w)
    check_pages(cy, w)
    check_sync_status(cy, w)
    # The service objects keep what they use alive past the Codeyard that made them.
    settings, search, archives = cy.settings, cy.search, cy.archives
    cy.close()
    gc.collect()
    assert settings.get(u.id).theme == "light"
    assert search.search(w.id, "made").files == []  # made.txt holds "x"
    assert archives.plan(w.id).file_name == "ide.zip"


def check_settings(cy, u, other):
    defaults = cy.settings.get(u.id)
    assert (defaults.theme, defaults.font_size, defaults.autosave, defaults.tab_size,
            defaults.updated_at) == ("dark", 14, True, 4, 0)
    saved = cy.settings.update(u.id, theme="light", font_size=16)
    assert (saved.theme, saved.font_size, saved.tab_size) == ("light", 16, 4)
    assert saved.updated_at > 0 and cy.settings.get(u.id) == saved
    with pytest.raises(codeyard.InvalidArgument) as e:
        cy.settings.update(u.id, tab_size=4, font_size=99)
    assert "font_size" in e.value.message
    assert cy.settings.get(u.id) == saved  # nothing stored
    assert cy.settings.get(other.id).theme == "dark"


def check_search(cy, w, other):
    cy.files.write(w.id, "a.py", b"x = 1\nneedle = 2\n")
    cy.files.write(w.id, "src/b.txt", b"no\nNeedle here\n")
    cy.files.write(w.id, "bin.dat", b"needle\x00")
    r = cy.search.search(w.id, "needle")
    assert [(f.path, [m.line for m in f.matches]) for f in r.files] == [("a.py", [2]),
                                                                       ("src/b.txt", [2])]
    assert r.matches == 2 and r.files_skipped == 1 and r.truncated_by == ""
    assert (r.files[1].matches[0].column, r.files[1].matches[0].length) == (1, 6)
    assert [f.path for f in cy.search.search(w.id, "Needle", case_sensitive=True).files] == [
        "src/b.txt"]
    assert cy.search.search(w.id, r"^ne+dle", regex=True).matches == 2  # case folded
    assert cy.search.search(w.id, r"^ne+dle", case_sensitive=True, regex=True).matches == 1
    with pytest.raises(codeyard.InvalidArgument):
        cy.search.search(w.id, "(", regex=True)
    with pytest.raises(codeyard.NotFound):
        cy.search.search(w.id, "needle", user_id=other.id)
    for path in ("a.py", "src", "bin.dat"):
        cy.files.delete(w.id, path)


def check_archives(cy, w):
    cy.files.write(w.id, "src/a.py", b"print(1)\n")
    cy.files.write(w.id, "src/deep/b.bin", bytes(range(256)) * 100)
    cy.files.write(w.id, "top.txt", b"top\n")
    plan = cy.archives.plan(w.id, "src")
    assert plan.file_name == "src.zip" and plan.total_bytes == 9 + 25600
    with zipfile.ZipFile(io.BytesIO(cy.archives.zip(w.id, "src"))) as z:
        assert z.read("src/a.py") == b"print(1)\n"
        assert z.read("src/deep/b.bin") == bytes(range(256)) * 100
        assert "top.txt" not in z.namelist()
    out = io.BytesIO()
    stats = cy.archives.write(w.id, "", out)
    assert stats.files == 3 and stats.bytes_out == len(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        assert z.read("top.txt") == b"top\n"

    class Broken:
        def write(self, data):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        cy.archives.write(w.id, "", Broken())
    with pytest.raises(codeyard.NotFound):
        cy.archives.zip(w.id, "missing")
    with pytest.raises(codeyard.InvalidArgument):
        cy.archives.plan(w.id, "top.txt")


def check_pages(cy, w):
    for i in range(5):
        cy.files.write(w.id, f"f{i}.txt", b"x")
    paths, cursor, pages = [], None, 0
    while True:
        page = cy.files.page(w.id, limit=3, cursor=cursor)
        paths += [f.path for f in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    everything = [f.path for f in cy.files.list(w.id)]
    assert paths == everything and pages == (len(everything) + 2) // 3 and pages > 1
    with pytest.raises(codeyard.InvalidArgument):
        cy.files.page(w.id, limit=0)
    with pytest.raises(codeyard.InvalidArgument):
        cy.files.page(w.id, cursor="garbage!")


def check_sync_status(cy, w):
    assert cy.workspaces.sync_status(w.id).last_pass_at is None
    cy.workspaces.exec(w.id, ["sh", "-c", "echo x > made.txt"])
    status = cy.workspaces.sync_status(w.id)
    assert status.ok and status.last_pass_at and status.skipped_total == 0
    assert status.unstored == 0 and status.skipped == []
    assert cy.files.read(w.id, "made.txt") == b"x\n"


def check_download_links(cy, u, session):
    w = cy.workspaces.create(u.id, "dl")
    cy.files.write(w.id, "src/a.txt", b"alpha\n")
    link = cy.downloads.sign(session.access_token, w.id, "src/a.txt")
    assert link.expires_at > 0 and "/" not in link.token
    ticket = cy.downloads.verify(link.token)
    assert (ticket.user_id, ticket.workspace_id, ticket.path, ticket.kind) == (
        u.id, w.id, "src/a.txt", "file")
    assert cy.downloads.read(link.token) == b"alpha\n"
    folder = cy.downloads.sign(session.access_token, w.id, "src", kind="archive")
    with zipfile.ZipFile(io.BytesIO(cy.downloads.read(folder.token))) as z:
        assert z.read("src/a.txt") == b"alpha\n"
    with pytest.raises(codeyard.InvalidArgument):
        cy.downloads.sign(session.access_token, w.id, "src", kind="file")
    with pytest.raises(codeyard.InvalidArgument):
        cy.downloads.sign(session.access_token, w.id, "src", kind="tarball")
    with pytest.raises(codeyard.Unauthenticated):
        cy.downloads.sign("not-a-token", w.id, "src/a.txt")
    cy.accounts.logout(session.refresh_token)  # the login ends: so do its links
    with pytest.raises(codeyard.Unauthenticated):
        cy.downloads.read(link.token)


def test_events_and_download_links(open_codeyard):
    cy = open_codeyard(**{"events.poll_interval_ms": 20})
    u, other = user(cy), user(cy, "bob")
    check_events(cy, u, other)
    check_download_links(cy, u, cy.accounts.login("ada", PASSWORD))


def check_events(cy, u, other):
    w = cy.workspaces.create(u.id, "events")
    mine, theirs = cy.events.subscribe(u.id), cy.events.subscribe(other.id)
    cy.files.write(w.id, "a.txt", b"1")
    cy.files.write(w.id, "b.txt", b"2")
    first = mine.get(timeout=30)
    assert first is not None and (first.type, first.data["path"]) == ("file.created", "a.txt")
    assert first.workspace_id == w.id and mine.cursor == first.id
    assert json.loads(first.json)["id"] == first.id
    # Resuming after the first event gives the second first, as the live one does.
    resumed = cy.events.subscribe(u.id, after=first.id)
    second = resumed.get(timeout=30)
    assert (second.id, second.data["path"]) == (mine.get(timeout=30).id, "b.txt")
    # Another user reads only their own workspace's events.
    w2 = cy.workspaces.create(other.id, "theirs")
    cy.files.write(w2.id, "c.txt", b"3")
    got = theirs.get(timeout=30)
    assert got.workspace_id == w2.id and got.owner_id == other.id
    theirs.close()
    assert theirs.closed and theirs.get(timeout=0) is None and list(theirs) == []


def test_interactive_runs_and_reauthentication(open_codeyard):
    # terminal.reauth_interval_s: terminals and runs check their login this often, as the
    # server's do, so a logout closes the Python ones too (4001).
    cy = open_codeyard(**{"terminal.reauth_interval_s": 1})
    u = user(cy)
    w = cy.workspaces.create(u.id, "runs")
    cy.files.write(w.id, "main.py", b"name = input('name? ')\nprint('hello', name)\n")
    cy.files.write(w.id, "loop.py", b"import time\nwhile True: time.sleep(0.01)\n")
    session = cy.accounts.login("ada", PASSWORD)
    with cy.runs.start(session.access_token, w.id, "main.py") as run:
        first = run.read(timeout=30)
        while b"name?" not in first:
            first += run.read(timeout=30)
            assert not run.closed, first
        run.write("world\n")
        out = run.wait(timeout=60)
        assert b"hello world" in out, out
        assert (run.verdict, run.exit_code, run.close_code) == ("ok", 0, 1000)
        assert run.run_id and run.statuses[0]["state"] == "running"
    stopped = cy.runs.start(session.access_token, w.id, "loop.py")
    until("running state", lambda: stopped.read(timeout=1) is not None and stopped.state)
    stopped.stop()
    stopped.wait(timeout=60)
    assert (stopped.verdict, stopped.reason) == ("stopped", "stop")
    with pytest.raises(codeyard.Unauthenticated):
        cy.runs.start("not-a-token", w.id, "main.py")
    with pytest.raises(codeyard.InvalidArgument):
        cy.runs.start(session.access_token, w.id, "notes.txt")
    # The login ends: the terminal and the run end with it.
    term = cy.terminals.attach(session.access_token, w.id)
    run = cy.runs.start(session.access_token, w.id, "loop.py")
    until("running state", lambda: run.read(timeout=1) is not None and run.state == "running")
    cy.accounts.logout(session.refresh_token)
    until("terminal closed", lambda: term.read(timeout=1) is not None and term.closed)
    assert term.close_code == 4001, term.close_reason
    run.wait(timeout=30)
    assert (run.close_code, run.verdict, run.reason) == (4001, "stopped", "revoked")


@once
def test_language_server(cy):
    u = user(cy)
    w = cy.workspaces.create(u.id, "lsp")
    assert codeyard.LanguageServers.command("python")[0].endswith("pylsp")
    with pytest.raises(codeyard.InvalidArgument):
        codeyard.LanguageServers.command("cobol")
    with pytest.raises(codeyard.FailedPrecondition):
        cy.language_servers.start(w.id, "python")  # not running
    cy.workspaces.start(w.id)
    with cy.language_servers.start(w.id, "c") as server:  # clangd: quicker to start than pylsp
        server.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                     "params": {"processId": None, "rootUri": "file:///workspace",
                                "capabilities": {}}})
        reply = None
        deadline = time.monotonic() + 60
        while reply is None or reply.get("id") != 1:
            assert time.monotonic() < deadline
            reply = server.receive(timeout=60)
            assert reply is not None, server.end_reason
        assert "capabilities" in reply["result"]
    assert server.closed or server.receive(timeout=10) is None


@once
def test_ports(cy):
    u, other = user(cy), user(cy, "bob")
    w = cy.workspaces.create(u.id, "ports")
    cy.files.write(w.id, "index.html", b"<h1>served</h1>\n")
    with pytest.raises(codeyard.InvalidArgument):
        cy.ports.request(w.id, 0)
    server = cy.workspaces.stream(
        w.id, ["python3", "-m", "http.server", "8765", "--bind", "127.0.0.1"], timeout=120)

    def answered():
        try:
            return cy.ports.request(w.id, 8765, target="/index.html")
        except codeyard.Unavailable:
            return None

    r = until("answer from the server in the pod", answered)
    assert r.status == 200 and r.body == b"<h1>served</h1>\n"
    assert r.headers["content-type"].startswith("text/html")
    with cy.ports.connect(w.id, 8765) as stream:
        stream.write(b"GET /index.html HTTP/1.0\r\n\r\n")
        stream.close_write()
        raw = b""
        while True:
            piece = stream.read(timeout=30)
            if not piece:
                break
            raw += piece
        assert raw.startswith(b"HTTP/1.0 200") and raw.endswith(b"<h1>served</h1>\n")
    with pytest.raises(codeyard.NotFound):
        cy.ports.request(w.id, 8765, user_id=other.id)
    session = cy.accounts.login("ada", PASSWORD)
    ticket = cy.ports.preview(session.access_token, w.id, 8765)
    assert ticket.url == f"/api/v1/previews/{ticket.token}/"
    grant = cy.ports.open_preview(ticket.token)
    assert (grant.user_id, grant.workspace_id, grant.port) == (u.id, w.id, 8765)
    with pytest.raises(codeyard.Unauthenticated):
        cy.ports.open_preview("forged")
    server.kill()
    server.wait()


@once
def test_images(cy):
    assert cy.images.dir == os.path.join(cy.data_dir, "images")
    assert cy.images.list() == []
    # A manifest by hand (building a root fs takes minutes): listing reads manifests only.
    os.makedirs(os.path.join(cy.images.dir, "tiny"))
    with open(os.path.join(cy.images.dir, "tiny", "manifest.json"), "w") as f:
        json.dump({"name": "tiny", "packages": ["python3"], "versions": {"python3": "3.11"},
                   "suite": "bookworm", "mirror": "http://deb.debian.org/debian",
                   "size_bytes": 10, "created_unix_ms": 5}, f)
    [tiny] = cy.images.list()
    assert (tiny.name, tiny.packages, tiny.versions, tiny.created_at) == (
        "tiny", ["python3"], {"python3": "3.11"}, 5)
    assert cy.images.get("tiny").suite == "bookworm"
    with pytest.raises(codeyard.NotFound):
        cy.images.get("absent")
    lines = []
    with pytest.raises(codeyard.InvalidArgument):
        cy.images.build("Bad Name", progress=lines.append)
    with pytest.raises(codeyard.InvalidArgument):
        cy.images.build("ok", packages=["bad package!"], progress=lines.append)
    assert lines == []  # refused before any work
    u = user(cy)
    assert cy.workspaces.create(u.id, "imaged", image="tiny").image == "tiny"
    with pytest.raises(codeyard.InvalidArgument):
        cy.workspaces.create(u.id, "nope", image="absent")
    cy.images.remove("tiny")
    assert cy.images.list() == []


def test_the_rest_of_reviews_and_zipped_problems(cy):
    author, reviewer = user(cy), user(cy, "rev")
    check_reviews(cy, author, reviewer)
    check_problems_import_zip(cy, author)


def check_reviews(cy, author, reviewer):
    cy.reviews.set_reviewer_level(reviewer.id, reviewer.id, 2)
    w = cy.workspaces.create(author.id, "review-more")
    cy.files.write(w.id, "src/main.py", b"print('v1')\n")
    review = cy.reviews.create(author.id, w.id, "Look", priority="high", required_level=1)
    assert [(i.path, i.kind) for i in cy.reviews.tree(author.id, review.id, 1)] == [
        ("src", "dir"), ("src/main.py", "file")]
    assert cy.reviews.read_file(reviewer.id, review.id, 1, "src/main.py") == b"print('v1')\n"
    with pytest.raises(codeyard.NotFound):
        cy.reviews.tree(author.id, review.id, 9)
    assert [r.id for r in cy.reviews.list(reviewer.id, role="queue", priority="high")] == [
        review.id]
    assert cy.reviews.list(reviewer.id, role="queue", priority="low") == []
    queued = cy.reviews.notifications(reviewer.id)
    assert queued.unread >= 1 and queued.items[0].review_id == review.id
    assert cy.reviews.mark_read(reviewer.id, all=True).unread == 0
    cy.reviews.claim(reviewer.id, review.id)
    c = cy.reviews.comment(reviewer.id, review.id, "why v1?", path="src/main.py", line=1)
    assert cy.reviews.resolve(author.id, review.id, c.id).resolved
    assert not cy.reviews.resolve(author.id, review.id, c.id, resolved=False).resolved
    cy.reviews.decide(reviewer.id, review.id, "request_changes", "use v2")
    cy.files.write(w.id, "src/main.py", b"print('v2')\n")
    cy.reviews.resubmit(author.id, review.id)
    [comment] = cy.reviews.comments(author.id, review.id)
    assert comment.outdated and not cy.reviews.comments(author.id, review.id, revision=1)[0].outdated
    [stats] = cy.reviews.reviewers(author.id)
    assert (stats.username, stats.level, stats.reviews_done) == ("rev", 2, 1)
    assert cy.reviews.may_watch_terminal(reviewer.id, w.id) is False  # not shared
    cy.workspaces.set_terminal_shared(w.id, True)
    assert cy.reviews.may_watch_terminal(reviewer.id, w.id) is True
    assert cy.reviews.collect_blobs() >= 0


def check_problems_import_zip(cy, plain):
    admin = user(cy, "root", role="admin")
    folder = os.path.join(REPO, "examples/problems/sum")
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        for base, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(base, name)
                z.write(path, os.path.join("sum", os.path.relpath(path, folder)))
    with pytest.raises(codeyard.PermissionDenied):
        cy.problems.import_zip(plain.id, data.getvalue())
    problem = cy.problems.import_zip(admin.id, data.getvalue(), id="sum2")
    assert problem.id == "sum2" and len(problem.test_names) == 5
    assert [p.id for p in cy.problems.list(plain.id, solved=False)] == ["sum2"]
    assert cy.problems.list(plain.id, solved=True) == []
