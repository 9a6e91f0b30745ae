"""``ncd serve``: the browser view of one .ncd file, on 127.0.0.1 only.

It answers GET for seven paths and nothing else: the page, its two scripts and style,
``view.json`` (the figure and its cost at the settings in the query),
``advice.json`` (``ncd cost --suggest``'s fusion plan, asked for after the figure)
and ``events`` (server-sent events: the file's version, each time it is saved).
Requests whose Host is not this address (a DNS-rebinding page) are refused, as
are other methods and paths; every answer says ``nosniff`` and carries a
Content-Security-Policy that allows the page's own script and style only.
"""
from __future__ import annotations

import json
import multiprocessing
import sys
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ..chars import shown
from ..console import tell
from ..cost import DTYPE_BYTES, bundled, parse_sizes
from ..errors import NcdError
from .costdata import advice
from .page import SERVED_POLICY, asset, served
from .view import view
from .watch import WatchedFile

HOST = "127.0.0.1"
PING_SECONDS = 15.0  # a comment on the event stream this often, so a closed page is noticed
MAX_TOGGLES = 64
CACHED_VIEWS = 32
SEARCH_SECONDS = 120.0  # the longest a fusion search may run for the page


class Recent(OrderedDict):
    """The newest ``most`` answers by key (views, fusion plans); recalling one makes it the newest.
    Each is used under its owner's lock."""

    def __init__(self, most: int):
        super().__init__()
        self.most = most

    def keep(self, key, answer) -> None:
        self[key] = answer
        while len(self) > self.most:
            self.popitem(last=False)

    def recall(self, key):
        self.move_to_end(key)
        return self[key]


class ViewServer(ThreadingHTTPServer):
    """The HTTP server, holding the watched file, the settings it allows and recent views."""

    daemon_threads = True
    allow_reuse_address = False
    # pages load several files at once, and many pages may load together; socketserver's backlog of 5 let a
    # burst fill the kernel's accept queue, where a connection the client took for open waited out its timeout
    request_queue_size = 128

    def __init__(self, source: WatchedFile, port: int, hw: str, dtype: str):
        super().__init__((HOST, port), Handler)
        self.source, self.hw, self.dtype = source, hw, dtype
        self.profiles = set(bundled()) | {hw}  # the page may pick a bundled profile or the one given, never a path of its own
        self.hosts = {f"{HOST}:{self.port}", f"localhost:{self.port}"}
        self.views = Recent(CACHED_VIEWS)
        self.building = threading.Lock()
        self.advised = Recent(CACHED_VIEWS)
        self.advising = threading.Lock()  # apart from building: a long fusion search never holds up the figure

    def handle_error(self, request, client_address) -> None:
        """A page that went away mid-answer is no error; anything else is printed as usual."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def view(self, query: str) -> dict:
        """The view for a query (hw, dtype, sizes, toggle), built once per version of the file."""
        try:
            hw, dtype, sizes, toggle = self.settings(query)
        except NcdError as error:
            return {"ok": False, "error": str(error)}
        with self.building:  # one build at a time: a hundred pages opening at once wait for the first
            version, text, error = self.source.version, self.source.text, self.source.error
            key = (version, hw, dtype, tuple(sorted(sizes.items())), toggle)
            if key not in self.views:
                self.views.keep(key, {"ok": False, "error": error} if text is None else
                                view(text, str(self.source.path), hw, dtype, sizes, toggle))
            return self.views.recall(key)

    def fusion_advice(self, query: str) -> dict:
        """``ncd cost --suggest``'s plan for the file as it is now, at the query's settings (seconds on a big diagram)."""
        try:
            hw, dtype, sizes, _ = self.settings(query)
        except NcdError as error:
            return {"ok": False, "error": str(error)}
        with self.advising:
            version, text = self.source.version, self.source.text
            key = (version, hw, dtype, tuple(sorted(sizes.items())))
            if key not in self.advised:
                notes = [] if text is None else self.search(version, text, hw, dtype, sizes)
                if notes is None:  # the file changed meanwhile: the page asks again for the new one
                    return {"ok": False, "stale": True, "version": version}
                self.advised.keep(key, {"ok": text is not None, "notes": notes})
            return {**self.advised.recall(key), "version": version}

    def search(self, version: int, text: str, hw: str, dtype: str, sizes: dict) -> list[dict] | None:
        """The fusion search in a child process, so it neither holds up the figure (the GIL) nor outlives its
        version: a save, or SEARCH_SECONDS, ends it (None: stopped)."""
        context = multiprocessing.get_context("fork")  # the child has everything imported already
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_search, args=(send, text, str(self.source.path), hw, dtype, sizes), daemon=True)
        child.start()
        send.close()
        deadline = time.monotonic() + SEARCH_SECONDS
        try:
            while not receive.poll(0.05):
                if self.source.version != version or time.monotonic() > deadline or not child.is_alive():
                    return None if self.source.version != version else \
                        [{"kind": "error", "text": f"the fusion search stopped after {SEARCH_SECONDS:.0f} s; 'ncd cost --suggest' runs it to the end"}]
            return receive.recv()
        except EOFError:
            return [{"kind": "error", "text": "the fusion search ended without an answer"}]
        finally:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()

    def settings(self, query: str):
        """The query's settings, checked: a known profile and dtype, sizes as --sizes, components by line:column."""
        try:
            q = {k: v[-1] for k, v in parse_qs(query, max_num_fields=8).items()}
        except ValueError:  # more fields than any page asks with
            raise NcdError("the query has more than 8 fields") from None
        hw, dtype = q.get("hw", self.hw), q.get("dtype", self.dtype)
        if hw not in self.profiles:
            raise NcdError(f"unknown hardware profile '{hw[:40]}'", hint="profiles: " + ", ".join(sorted(self.profiles)))
        if dtype not in DTYPE_BYTES:
            raise NcdError(f"unknown dtype '{dtype[:40]}'", hint="dtypes: " + ", ".join(DTYPE_BYTES))
        toggle = []
        for item in filter(None, q.get("toggle", "").split(",")):
            line, _, column = item.partition(":")
            if not (item.isascii() and line.isdigit() and column.isdigit()) or len(item) > 16:  # (not '²')
                raise NcdError(f"toggle: '{item[:40]}' is not LINE:COLUMN")
            toggle.append((int(line), int(column)))
        if len(toggle) > MAX_TOGGLES:
            raise NcdError(f"toggle: at most {MAX_TOGGLES} components at once")
        return hw, dtype, parse_sizes(q.get("sizes")), frozenset(toggle)


class Handler(BaseHTTPRequestHandler):
    server: ViewServer
    server_version = "ncd-serve"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds an idle kept-alive connection (and its thread) lasts

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format, *args):  # quiet: the terminal shows the URL and errors only
        pass

    def headers_for(self, content_type: str, length: int | None) -> None:
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Content-Security-Policy", SERVED_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Cache-Control", "no-store")

    def answer(self, status: int, content_type: str, body: bytes, extra: dict | None = None) -> None:
        self.send_response(status)
        self.headers_for(content_type, len(body))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def refuse(self, status: int, why: str, extra: dict | None = None) -> None:
        self.answer(status, "text/plain; charset=utf-8", (why + "\n").encode(), {"Connection": "close", **(extra or {})})
        self.close_connection = True

    def send_error(self, code, message=None, explain=None):  # the library's own errors (a bad request line) get the same headers
        self.refuse(code, message or self.responses.get(code, ("error",))[0])

    def do_GET(self):
        if self.headers.get("Host", "") not in self.server.hosts:
            self.refuse(403, "this server answers only requests addressed to " + self.server.url)
            return
        parts = urlsplit(self.path)
        route = {"/": self.page, "/app.js": self.script, "/roofline.js": self.script, "/app.css": self.style, "/view.json": self.view_json,
                 "/advice.json": self.advice_json, "/events": self.events}.get(parts.path)
        if route is None:
            self.refuse(404, "not found")
            return
        try:
            route(parts.query)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            raise  # (the page went away: handle_error lets it go)
        except Exception as error:  # a bug, said in one line to the page and the terminal, never a traceback
            tell(f"error: the request {shown(self.path[:200])} failed: {type(error).__name__}: {shown(str(error)[:200])} (a bug in ncd serve)")
            self.refuse(500, f"ncd serve failed on this request ({type(error).__name__}); the terminal says more")

    def not_allowed(self):
        self.refuse(405, "only GET", {"Allow": "GET"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_TRACE = do_CONNECT = not_allowed

    def page(self, _query: str) -> None:
        self.answer(200, "text/html; charset=utf-8", served(self.server.source.path.name).encode("utf-8"))

    def script(self, _query: str) -> None:
        self.answer(200, "text/javascript; charset=utf-8", asset(urlsplit(self.path).path.lstrip("/")))  # a name from the routes above

    def style(self, _query: str) -> None:
        self.answer(200, "text/css; charset=utf-8", asset("app.css"))

    def view_json(self, query: str) -> None:
        started = time.perf_counter()
        body = json.dumps(self.server.view(query), separators=(",", ":")).encode("utf-8")
        took = 1000 * (time.perf_counter() - started)  # waiting for, building and encoding the view, shown in DevTools
        self.answer(200, "application/json", body, {"Server-Timing": f"view;dur={took:.1f}"})

    def advice_json(self, query: str) -> None:
        self.answer(200, "application/json", json.dumps(self.server.fusion_advice(query), separators=(",", ":")).encode("utf-8"))

    def events(self, _query: str) -> None:
        """The file's version now, then each new one; a comment now and then to notice a closed page."""
        self.send_response(200)
        self.headers_for("text/event-stream", None)
        self.end_headers()
        self.close_connection = True
        seen = -1
        try:
            while True:
                version = self.server.source.wait(seen, PING_SECONDS)
                if version == seen:
                    self.wfile.write(b": ping\n\n")
                else:
                    self.wfile.write(f"event: change\ndata: {version}\n\n".encode())
                    seen = version
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            pass  # the page went away


def _search(send, text: str, name: str, hw: str, dtype: str, sizes: dict) -> None:
    """In the child process: the fusion plan's notes, sent back."""
    send.send(advice(text, name, hw, dtype, sizes))
    send.close()


def serve(path: str, port: int = 0, hw: str = "a100-80gb", dtype: str = "bf16") -> tuple[ViewServer, threading.Event]:
    """A server for ``path`` (not yet serving: call ``serve_forever``) and the event that stops its watcher."""
    source = WatchedFile(path)
    try:
        server = ViewServer(source, port, hw, dtype)
    except OSError as error:
        raise NcdError(f"cannot listen on {HOST}:{port}: {error.strerror or error}",
                       hint="choose another port with --port, or --port 0 for any free one") from None
    stop = threading.Event()
    source.follow(stop)
    return server, stop


def serve_until_stopped(path: str, port: int, hw: str, dtype: str, open_browser: bool, announce) -> None:
    """``ncd serve``: serve ``path`` until Ctrl-C, its address given to ``announce`` (and opened in a browser)."""
    server, stop = serve(path, port, hw, dtype)
    announce(f"serving {path} at {server.url} (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
