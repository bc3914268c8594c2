# Type stub of the codeyard package (the pybind11 extension _codeyard); checked by
# `mypy --strict` with the examples (ctest "python: mypy --strict").
from typing import IO, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

Bytes = Union[bytes, bytearray, str]

class Error(RuntimeError):
    code: str
    message: str
    limit: Optional[str]
    retry_after: int

class InvalidArgument(Error): ...
class NotFound(Error): ...
class AlreadyExists(Error): ...
class Conflict(Error): ...
class FailedPrecondition(Error): ...
class PermissionDenied(Error): ...
class Unauthenticated(Error): ...
class ResourceExhausted(Error): ...
class Aborted(Error): ...
class Unavailable(Error): ...
class DeadlineExceeded(Error): ...
class Unimplemented(Error): ...
class DataLoss(Error): ...
class Internal(Error): ...

def version() -> str: ...
def new_uuid() -> str: ...
def open(
    data_dir: Optional[str] = None,
    storage: Optional[str] = None,
    executor: Optional[str] = None,
    *,
    config: Optional[Mapping[str, Any]] = None,
    **keys: Any,
) -> Codeyard: ...

class User:
    id: str
    username: str
    display_name: str
    role: str
    reviewer_level: int
    disabled: bool
    created_at: int
    updated_at: int
    version: int

class Session:
    access_token: str
    access_expires_at: int
    refresh_token: str
    refresh_expires_at: int
    user: User

class Workspace:
    id: str
    owner_id: str
    name: str
    state: str
    total_bytes: int
    entry_count: int
    created_at: int
    updated_at: int
    last_active_at: int
    version: int
    terminal_shared: bool
    image: str

class SyncReport:
    pushed: int
    pulled: int
    deleted_in_pod: int
    deleted_in_storage: int
    conflicts: List[str]
    skipped_total: int

class ExecResult:
    exit_code: Optional[int]
    signal: Optional[int]
    stdout: bytes
    stderr: bytes
    verdict: str
    cpu_ms: int
    wall_ms: int
    memory_kb: int
    output_truncated: bool
    oom_killed: bool
    sync: SyncReport

class ExecStream:
    def __iter__(self) -> ExecStream: ...
    def __next__(self) -> Tuple[str, bytes]: ...
    def write(self, data: Bytes) -> None: ...
    def close_stdin(self) -> None: ...
    def kill(self) -> None: ...
    def wait(self) -> ExecResult: ...

class FileInfo:
    path: str
    kind: str
    size: int
    sha256: str
    version: int
    mtime: int

class RunResult:
    verdict: str
    exit_code: Optional[int]
    signal: Optional[int]
    cpu_ms: int
    wall_ms: int
    memory_kb: int
    stdout: bytes
    stderr: bytes
    output_truncated: bool
    compile_output: str
    message: str
    def __getitem__(self, key: str) -> Any: ...

class Job:
    id: str
    owner_id: str
    kind: str
    state: str
    done: bool
    attempt: int
    verdict: str
    created_at: int
    started_at: Optional[int]
    finished_at: Optional[int]
    run: Optional[RunResult]
    result: bytes
    problem_id: str

class JobIterator:
    def __iter__(self) -> JobIterator: ...
    def __next__(self) -> Job: ...

class TestResult:
    name: str
    group: str
    verdict: str
    time_ms: int
    wall_ms: int
    memory_kb: int
    score: float
    is_public: bool
    exit_code: Optional[int]
    signal: Optional[int]
    output: str
    feedback: str

class Submission:
    id: str
    problem: str
    language: str
    state: str
    done: bool
    verdict: str
    accepted: bool
    score: float
    max_score: float
    created_at: int
    finished_at: Optional[int]
    tests: List[TestResult]
    compile_output: str
    message: str

class ProblemProgress:
    problem: str
    level: Optional[int]
    attempts: int
    best_score: float
    max_score: float
    solved: bool
    first_solved_at: Optional[int]
    last_submitted_at: int

class Progress:
    problems: List[ProblemProgress]
    attempted: int
    solved: int
    points: float

class SubmissionIterator:
    def __iter__(self) -> SubmissionIterator: ...
    def __next__(self) -> Submission: ...

class Problem:
    id: str
    title: str
    statement: str
    is_public: bool
    scoring: bool
    time_limit: float
    memory_limit_mb: int
    level: Optional[int]
    topics: List[str]
    test_names: List[str]
    max_score: float
    starter_code: dict[str, str]

class ProblemSummary:
    id: str
    title: str
    level: Optional[int]
    topics: List[str]
    is_public: bool
    public_tests: int
    hidden_tests: int

class Review:
    id: str
    author_id: str
    workspace_id: str
    title: str
    description: str
    priority: str
    required_level: int
    status: str
    reviewer_id: Optional[str]
    revision: int
    decision_message: Optional[str]
    created_at: int
    updated_at: int

class Comment:
    id: str
    review_id: str
    revision: int
    author_id: str
    path: Optional[str]
    start_line: Optional[int]
    end_line: Optional[int]
    body: str
    in_reply_to: Optional[str]
    resolved: bool
    outdated: bool
    created_at: int

class ReviewEvent:
    at: int
    actor_id: str
    action: str
    status: Optional[str]
    revision: int

class FileDiff:
    path: str
    change: str
    lines: List[str]
    binary: bool
    too_large: bool

class Terminal:
    closed: bool
    close_code: Optional[int]
    close_reason: str
    workspace_id: str
    def read(self, timeout: Optional[float] = None) -> bytes: ...
    def write(self, data: Bytes) -> None: ...
    def resize(self, cols: int, rows: int) -> None: ...
    def hangup(self) -> None: ...
    def close(self) -> None: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __next__(self) -> bytes: ...
    def __enter__(self) -> Terminal: ...
    def __exit__(self, *args: object) -> None: ...

class Accounts:
    def register(
        self, username: str, password: str, display_name: str = "", role: str = "user"
    ) -> User: ...
    def login(self, username: str, password: str) -> Session: ...
    def refresh(self, refresh_token: str) -> Session: ...
    def logout(self, refresh_token: str) -> None: ...
    def change_password(self, user_id: str, old_password: str, new_password: str) -> None: ...
    def verify(self, access_token: str) -> str: ...
    def get_user(self, user_id: str) -> User: ...
    def get_user_by_username(self, username: str) -> User: ...
    def set_role(self, acting_user_id: str, user_id: str, role: str) -> User: ...
    def set_reviewer_level(self, acting_user_id: str, user_id: str, level: int) -> User: ...
    def set_disabled(self, acting_user_id: str, user_id: str, disabled: bool) -> User: ...

class Workspaces:
    def create(self, user_id: str, name: str, image: str = "") -> Workspace: ...
    def list(self, user_id: str) -> List[Workspace]: ...
    def get(self, workspace_id: str, *, user_id: Optional[str] = None) -> Workspace: ...
    def rename(
        self, workspace_id: str, name: str, *, user_id: Optional[str] = None
    ) -> Workspace: ...
    def set_terminal_shared(
        self, workspace_id: str, shared: bool, *, user_id: Optional[str] = None
    ) -> Workspace: ...
    def delete(self, workspace_id: str, *, user_id: Optional[str] = None) -> None: ...
    def start(self, workspace_id: str, *, user_id: Optional[str] = None) -> Workspace: ...
    def stop(self, workspace_id: str, *, user_id: Optional[str] = None) -> None: ...
    def sync(self, workspace_id: str, *, user_id: Optional[str] = None) -> SyncReport: ...
    def sync_status(self, workspace_id: str, *, user_id: Optional[str] = None) -> SyncStatus: ...
    def exec(
        self,
        workspace_id: str,
        argv: Sequence[str],
        stdin: Bytes = b"",
        timeout: Optional[float] = None,
        cpu_time: Optional[float] = None,
        env: Mapping[str, str] = {},
        cwd: str = "/workspace",
        *,
        user_id: Optional[str] = None,
    ) -> ExecResult: ...
    def stream(
        self,
        workspace_id: str,
        argv: Sequence[str],
        stdin: Bytes = b"",
        timeout: Optional[float] = None,
        cpu_time: Optional[float] = None,
        env: Mapping[str, str] = {},
        cwd: str = "/workspace",
        stdin_open: bool = False,
        *,
        user_id: Optional[str] = None,
    ) -> ExecStream: ...

class Files:
    def write(
        self,
        workspace_id: str,
        path: str,
        data: Bytes,
        expected_version: Optional[int] = None,
        *,
        user_id: Optional[str] = None,
    ) -> FileInfo: ...
    def read(self, workspace_id: str, path: str, *, user_id: Optional[str] = None) -> bytes: ...
    def stat(self, workspace_id: str, path: str, *, user_id: Optional[str] = None) -> FileInfo: ...
    def list(self, workspace_id: str, *, user_id: Optional[str] = None) -> List[FileInfo]: ...
    def page(
        self,
        workspace_id: str,
        limit: int = 50,
        cursor: Optional[str] = None,
        *,
        user_id: Optional[str] = None,
    ) -> FilePage: ...
    def mkdir(self, workspace_id: str, path: str, *, user_id: Optional[str] = None) -> FileInfo: ...
    def delete(
        self,
        workspace_id: str,
        path: str,
        expected_version: Optional[int] = None,
        *,
        user_id: Optional[str] = None,
    ) -> None: ...
    def rename(
        self,
        workspace_id: str,
        source: str,
        destination: str,
        expected_version: Optional[int] = None,
        *,
        user_id: Optional[str] = None,
    ) -> FileInfo: ...

class Terminals:
    def attach(
        self,
        access_token: str,
        workspace_id: str,
        cols: int = 80,
        rows: int = 24,
        terminal: int = 1,
        readonly: bool = False,
    ) -> Terminal: ...

class Jobs:
    def submit(
        self,
        user_id: str,
        files: Mapping[str, Bytes],
        language: str = "",
        stdin: Bytes = b"",
        args: Sequence[str] = [],
        time_limit: Optional[float] = None,
        memory_limit_mb: Optional[float] = None,
        output_limit_kb: Optional[float] = None,
    ) -> Job: ...
    def get(self, user_id: str, job_id: str, wait: float = 0.0) -> Job: ...
    def wait(self, user_id: str, job_id: str, timeout: float = 120.0) -> Job: ...
    def iter(self, user_id: str) -> JobIterator: ...
    def queue_stats(self) -> dict[str, int]: ...

class Submissions:
    def submit(
        self, user_id: str, problem_id: str, files: Mapping[str, Bytes], language: str = ""
    ) -> Submission: ...
    def get(self, user_id: str, submission_id: str, wait: float = 0.0) -> Submission: ...
    def wait(self, user_id: str, submission_id: str, timeout: float = 300.0) -> Submission: ...
    def iter(self, user_id: str, problem: Optional[str] = None) -> SubmissionIterator: ...
    def progress(self, user_id: str) -> Progress: ...

class Problems:
    def import_folder(self, path: str, time_limit: Optional[float] = None) -> Problem: ...
    def import_zip(
        self, user_id: str, data: Bytes, id: str = "", time_limit: Optional[float] = None
    ) -> Problem: ...
    def list(
        self,
        user_id: Optional[str] = None,
        level: Optional[int] = None,
        topic: Optional[str] = None,
        solved: Optional[bool] = None,
    ) -> List[ProblemSummary]: ...
    def get(self, problem_id: str, *, user_id: Optional[str] = None) -> Problem: ...
    def delete(self, user_id: str, problem_id: str) -> None: ...

class Reviews:
    def create(
        self,
        user_id: str,
        workspace_id: str,
        title: str,
        description: str = "",
        priority: str = "normal",
        required_level: int = 0,
    ) -> Review: ...
    def get(self, user_id: str, review_id: str) -> Review: ...
    def list(
        self,
        user_id: str,
        role: str = "author",
        status: Optional[str] = None,
        priority: Optional[str] = None,
    ) -> List[Review]: ...
    def claim(self, user_id: str, review_id: str) -> Review: ...
    def unclaim(self, user_id: str, review_id: str) -> Review: ...
    def withdraw(self, user_id: str, review_id: str) -> Review: ...
    def resubmit(self, user_id: str, review_id: str) -> Review: ...
    def decide(self, user_id: str, review_id: str, decision: str, message: str = "") -> Review: ...
    def comment(
        self,
        user_id: str,
        review_id: str,
        body: str,
        path: Optional[str] = None,
        line: Optional[int] = None,
        end_line: Optional[int] = None,
        in_reply_to: Optional[str] = None,
    ) -> Comment: ...
    def comments(self, user_id: str, review_id: str, revision: int = 0) -> List[Comment]: ...
    def resolve(
        self, user_id: str, review_id: str, comment_id: str, resolved: bool = True
    ) -> Comment: ...
    def tree(self, user_id: str, review_id: str, revision: int) -> List[RevisionItem]: ...
    def read_file(self, user_id: str, review_id: str, revision: int, path: str) -> bytes: ...
    def reviewers(self, user_id: str) -> List[ReviewerStats]: ...
    def notifications(self, user_id: str, limit: int = 50) -> Notifications: ...
    def mark_read(
        self, user_id: str, ids: Sequence[int] = [], all: bool = False
    ) -> Notifications: ...
    def may_watch_terminal(self, user_id: str, workspace_id: str) -> bool: ...
    def collect_blobs(self) -> int: ...
    def history(self, user_id: str, review_id: str) -> List[ReviewEvent]: ...
    def diff(
        self,
        user_id: str,
        review_id: str,
        from_revision: int = 1,
        to_revision: Optional[int] = None,
    ) -> List[FileDiff]: ...
    def set_reviewer_level(self, user_id: str, target_user_id: str, level: int) -> User: ...

class Platform:
    schema_version: int
    @staticmethod
    def open(storage_uri: str = "sqlite::memory:") -> Platform: ...
    def storage_info(self) -> dict[str, str]: ...
    def ping(self) -> None: ...

class Runner:
    def __init__(self, executor: str = "local:", pool_size: int = 0) -> None: ...
    def run(
        self,
        files: Mapping[str, Bytes],
        language: str = "",
        stdin: Bytes = "",
        args: Sequence[str] = [],
        time_limit: float = 5.0,
        wall_time_limit: float = 0.0,
        memory_limit_mb: float = 256.0,
        output_limit_mb: float = 1.0,
    ) -> RunResult: ...

class FilePage:
    items: List[FileInfo]
    next_cursor: Optional[str]

class SyncSkip:
    path: str
    reason: str
    rule: str

class SyncStatus:
    last_pass_at: Optional[int]
    ok: bool
    error: str
    skipped: List[SyncSkip]
    skipped_total: int
    unstored: int

class RevisionItem:
    path: str
    kind: str
    mode: int
    size: int
    sha256: str

class ReviewerStats:
    user_id: str
    username: str
    level: int
    reviews_done: int
    approvals: int
    approval_rate: float
    open_reviews: int
    median_first_response_ms: Optional[int]
    median_decision_ms: Optional[int]

class Notification:
    id: int
    type: str
    review_id: str
    actor_id: str
    data: Dict[str, Any]
    at: int
    read: bool

class Notifications:
    items: List[Notification]
    unread: int

class UserSettings:
    theme: str
    font_size: int
    autosave: bool
    tab_size: int
    updated_at: int

class Settings:
    def get(self, user_id: str) -> UserSettings: ...
    def update(
        self,
        user_id: str,
        *,
        theme: Optional[str] = None,
        font_size: Optional[int] = None,
        autosave: Optional[bool] = None,
        tab_size: Optional[int] = None,
    ) -> UserSettings: ...

class SearchMatch:
    line: int
    column: int
    length: int
    text: str
    text_column: int

class SearchFile:
    path: str
    matches: List[SearchMatch]

class SearchResult:
    files: List[SearchFile]
    matches: int
    files_scanned: int
    bytes_scanned: int
    files_skipped: int
    truncated_by: str

class Search:
    def search(
        self,
        workspace_id: str,
        query: str,
        case_sensitive: bool = False,
        regex: bool = False,
        *,
        user_id: Optional[str] = None,
    ) -> SearchResult: ...

class ArchivePlan:
    workspace_id: str
    root: str
    file_name: str
    entries: List[FileInfo]
    total_bytes: int

class ArchiveStats:
    files: int
    folders: int
    bytes_in: int
    bytes_out: int
    skipped: int

class Archives:
    def plan(
        self, workspace_id: str, folder: str = "", *, user_id: Optional[str] = None
    ) -> ArchivePlan: ...
    def zip(self, workspace_id: str, folder: str = "", *, user_id: Optional[str] = None) -> bytes: ...
    def write(
        self, workspace_id: str, folder: str, out: IO[bytes], *, user_id: Optional[str] = None
    ) -> ArchiveStats: ...

class DownloadLink:
    token: str
    expires_at: int

class DownloadTicket:
    user_id: str
    session_id: str
    workspace_id: str
    path: str
    kind: str
    expires_at: int

class Downloads:
    def sign(
        self, access_token: str, workspace_id: str, path: str, kind: str = "file"
    ) -> DownloadLink: ...
    def verify(self, token: str) -> DownloadTicket: ...
    def read(self, token: str) -> bytes: ...

class Run:
    closed: bool
    close_code: Optional[int]
    close_reason: str
    statuses: List[Dict[str, Any]]
    run_id: Optional[str]
    state: Optional[str]
    verdict: Optional[str]
    reason: Optional[str]
    exit_code: Optional[int]
    signal: Optional[int]
    def read(self, timeout: Optional[float] = None) -> bytes: ...
    def wait(self, timeout: Optional[float] = None) -> bytes: ...
    def write(self, data: Bytes) -> None: ...
    def resize(self, cols: int, rows: int) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __next__(self) -> bytes: ...
    def __enter__(self) -> Run: ...
    def __exit__(self, *args: object) -> None: ...

class Runs:
    running: int
    def start(
        self,
        access_token: str,
        workspace_id: str,
        path: str,
        cols: int = 80,
        rows: int = 24,
        run_id: str = "",
    ) -> Run: ...
    def resume(
        self,
        access_token: str,
        workspace_id: str,
        run_id: str,
        seen: int = 0,
        cols: int = 80,
        rows: int = 24,
    ) -> Run: ...

class Event:
    id: int
    type: str
    workspace_id: str
    owner_id: str
    at: int
    data: Dict[str, Any]
    json: str

class EventSubscription:
    cursor: int
    closed: bool
    close_reason: Optional[str]
    def get(self, timeout: Optional[float] = None) -> Optional[Event]: ...
    def close(self) -> None: ...
    def __iter__(self) -> Iterator[Event]: ...
    def __next__(self) -> Event: ...
    def __enter__(self) -> EventSubscription: ...
    def __exit__(self, *args: object) -> None: ...

class Events:
    def subscribe(self, user_id: str, after: Optional[int] = None) -> EventSubscription: ...

class LanguageServer:
    closed: bool
    end_reason: str
    def send(self, message: Union[str, Mapping[str, Any]]) -> None: ...
    def receive(self, timeout: Optional[float] = None) -> Optional[Dict[str, Any]]: ...
    def close(self) -> None: ...
    def __iter__(self) -> Iterator[Dict[str, Any]]: ...
    def __next__(self) -> Dict[str, Any]: ...
    def __enter__(self) -> LanguageServer: ...
    def __exit__(self, *args: object) -> None: ...

class LanguageServers:
    @staticmethod
    def command(language: str) -> List[str]: ...
    def start(
        self, workspace_id: str, language: str, *, user_id: Optional[str] = None
    ) -> LanguageServer: ...

class PortStream:
    def read(self, max: int = 65536, timeout: Optional[float] = None) -> bytes: ...
    def write(self, data: Bytes, timeout: Optional[float] = None) -> None: ...
    def close_write(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> PortStream: ...
    def __exit__(self, *args: object) -> None: ...

class HttpResponse:
    status: int
    headers: Dict[str, str]
    body: bytes

class PreviewTicket:
    token: str
    expires_at: int
    prefix: str
    url: str

class PreviewGrant:
    user_id: str
    workspace_id: str
    port: int

class Ports:
    def connect(
        self, workspace_id: str, port: int, *, user_id: Optional[str] = None
    ) -> PortStream: ...
    def request(
        self,
        workspace_id: str,
        port: int,
        method: str = "GET",
        target: str = "/",
        headers: Mapping[str, str] = {},
        body: Bytes = b"",
        *,
        user_id: Optional[str] = None,
    ) -> HttpResponse: ...
    def preview(self, access_token: str, workspace_id: str, port: int) -> PreviewTicket: ...
    def open_preview(self, token: str) -> PreviewGrant: ...

class ImageInfo:
    name: str
    packages: List[str]
    versions: Dict[str, str]
    suite: str
    mirror: str
    size_bytes: int
    created_at: int

class Images:
    dir: str
    def list(self) -> List[ImageInfo]: ...
    def get(self, name: str) -> ImageInfo: ...
    def build(
        self,
        name: str,
        packages: Optional[Sequence[str]] = None,
        suite: str = "bookworm",
        mirror: str = "",
        progress: Optional[Callable[[str], object]] = None,
    ) -> ImageInfo: ...
    def remove(self, name: str) -> None: ...

class Codeyard:
    data_dir: str
    platform: Platform
    accounts: Accounts
    workspaces: Workspaces
    files: Files
    terminals: Terminals
    jobs: Jobs
    problems: Problems
    submissions: Submissions
    reviews: Reviews
    runner: Runner
    settings: Settings
    search: Search
    archives: Archives
    downloads: Downloads
    runs: Runs
    events: Events
    language_servers: LanguageServers
    ports: Ports
    images: Images
    def close(self) -> None: ...
