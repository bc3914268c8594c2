"""Codeyard embedded in Python: workspaces, sandboxed execution, grading and review.

    import codeyard
    p = codeyard.open(data_dir="/tmp/cy")          # SQLite and the local sandbox under it
    u = p.accounts.register("ada", "correct horse")
    w = p.workspaces.create(u.id, "hello")
    p.files.write(w.id, "main.py", b"print('hi')\\n")
    r = p.workspaces.exec(w.id, ["python3", "main.py"])
    print(r.exit_code, r.stdout)

Library errors are codeyard.Error subclasses (codeyard.NotFound, ...). Every blocking call
releases the GIL. See docs/python.md.
"""
import os as _os

# An installed package carries its pod launcher beside the extension (setup.py); the build
# tree's extension knows where the build put it.
_pod = _os.path.join(_os.path.dirname(__file__), "codeyard-pod")
if _os.access(_pod, _os.X_OK):
    _os.environ.setdefault("CODEYARD_POD_BINARY", _pod)

from ._codeyard import *  # noqa: F401,F403
from ._codeyard import (  # noqa: F401
    Aborted, Accounts, AlreadyExists, Codeyard, Comment, Conflict, DataLoss, DeadlineExceeded,
    Error, ExecResult, ExecStream, FailedPrecondition, FileDiff, FileInfo, Files, Internal,
    InvalidArgument, Job, JobIterator, Jobs, NotFound, PermissionDenied, Platform, Problem,
    ProblemProgress, ProblemSummary, Problems, Progress, ResourceExhausted, Review, ReviewEvent,
    Reviews, RunResult, Runner, Session, Submission, SubmissionIterator, Submissions, SyncReport,
    Terminal, Terminals, TestResult, Unauthenticated, Unavailable, Unimplemented, User,
    Workspace, Workspaces, new_uuid, open, version,
)
from ._codeyard import (  # noqa: F401  (py19b)
    ArchivePlan, Archives, ArchiveStats, DownloadLink, Downloads, DownloadTicket, Event, Events,
    EventSubscription, FilePage, HttpResponse, ImageInfo, Images, LanguageServer,
    LanguageServers, Notification, Notifications, Ports, PortStream, PreviewGrant,
    PreviewTicket, ReviewerStats, RevisionItem, Run, Runs, Search, SearchFile, SearchMatch,
    SearchResult, Settings, SyncSkip, SyncStatus, UserSettings,
)
