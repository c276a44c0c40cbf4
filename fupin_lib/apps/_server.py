"""The Voila server of the apps, with sign-in, an offline template and no
file browsing.

`FupinVoila` is Voila's standalone app with these changes:

- every ``/voila/render/...`` request is signed in (login token in the query
  string, session cookie, or a trusted header set by a reverse proxy) before
  Voila renders; the user reaches the kernel as a one-time ticket in the
  ``X-Fupin-Ticket`` header (see `fupin_lib.apps.identity`);
- the tree and contents routes are gone, ``/voila/files`` serves nothing, and
  ``/`` redirects to the review app;
- the page template loads nothing from another host;
- the number of kernels is capped and a busy port is an error, not a retry
  on another port.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import urllib.parse
from pathlib import Path

import tornado.ioloop
import tornado.web
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from .._errors import AccessDeniedError, FupinError
from ..cases import authenticate_token, create_session, end_session, get_user, issue_ticket
from ..cases import resolve_session
from .identity import TICKET_HEADER

__all__ = ["FupinVoila", "build_argv", "kernel_environment", "TEMPLATE_DIR", "SESSION_COOKIE"]

logger = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "fupin"
SESSION_COOKIE = "fupin_session"

_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:28em;
margin:3em auto;padding:0 1em;color:#222}}input{{width:100%;padding:.5em;font-size:1em;
box-sizing:border-box}}button{{margin-top:1em;padding:.5em 2em;font-size:1em}}
.error{{color:#b00020}}</style></head><body><h2>{title}</h2>{body}</body></html>"""


def _page(title: str, body: str) -> str:
    return _PAGE.format(title=html.escape(title), body=body)


def _safe_next(target: str | None, default: str) -> str:
    # Only local absolute paths, so a crafted link cannot redirect off the server.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


class _SignIn:
    """Mixin: find the user of a request from the token, cookie or trusted header."""

    @property
    def fupin_settings(self) -> dict:
        return self.settings["fupin"]

    def _start_session(self, user) -> None:
        session_id = create_session(user, url=self.fupin_settings["db_url"])
        self.set_signed_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Lax",
                               expires_days=None, path=self.fupin_settings["base_url"])

    def _user_from_request(self):
        header = self.fupin_settings.get("trusted_header")
        if header:
            name = self.request.headers.get(header)
            if name:
                return get_user(name.strip(), url=self.fupin_settings["db_url"])
        session_id = self.get_signed_cookie(SESSION_COOKIE)
        if session_id:
            try:
                return resolve_session(session_id.decode("ascii"), url=self.fupin_settings["db_url"])
            except AccessDeniedError:
                self.clear_cookie(SESSION_COOKIE, path=self.fupin_settings["base_url"])
        return None

    def _deny(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        login = self.fupin_settings["base_url"] + "fupin/login"
        self.finish(_page("无法访问", f'<p class="error">{html.escape(message)}</p>'
                                       f'<p><a href="{login}">重新登录</a></p>'))


class FupinVoilaHandler(_SignIn, TornadoVoilaHandler):
    """Voila's notebook page, reachable only when signed in."""

    async def prepare(self):
        await super().prepare()
        if self._finished:
            return
        # Drop a client's own ticket header; only the server issues tickets.
        if TICKET_HEADER in self.request.headers:
            del self.request.headers[TICKET_HEADER]
        try:
            token = self.get_query_argument("token", None)
            if token:
                user = authenticate_token(token, url=self.fupin_settings["db_url"])
                self._start_session(user)
                query = [(k, v) for k, v in urllib.parse.parse_qsl(self.request.query)
                         if k != "token"]
                target = self.request.path + ("?" + urllib.parse.urlencode(query) if query else "")
                self.redirect(target)
                return
            user = self._user_from_request()
        except FupinError as error:
            logger.info("sign-in rejected for %s: %s", self.request.path, error)
            self._deny(403, str(error))
            return
        if user is None:
            login = self.fupin_settings["base_url"] + "fupin/login"
            self.redirect(login + "?" + urllib.parse.urlencode({"next": self.request.uri}))
            return
        limit = self.fupin_settings["max_kernels"]
        if limit and len(self.kernel_manager.list_kernel_ids()) >= limit:
            logger.warning("kernel limit %s reached; rejected %s for %s", limit,
                           self.request.path, user.name)
            self._deny(503, "服务器当前打开的应用会话已达上限，请关闭不用的页面或稍后再试。")
            return
        self.request.headers[TICKET_HEADER] = issue_ticket(user, url=self.fupin_settings["db_url"])
        # Reading the token sets the ``_xsrf`` cookie, which the page sends back
        # when it closes to shut its kernel down (Voila's beforeunload beacon).
        _ = self.xsrf_token
        logger.info("page %s for %s (%s)", self.request.path, user.name, user.role)


class LoginHandler(_SignIn, tornado.web.RequestHandler):
    """A token form for a standalone install (``/fupin/login``)."""

    def _form(self, message: str = "") -> str:
        next_url = html.escape(self.get_argument("next", ""), quote=True)
        error = f'<p class="error">{html.escape(message)}</p>' if message else ""
        return _page("扶贫云工作台 登录", f"""{error}
<form method="post"><label>登录令牌（由管理员用 fupin user add 生成）<br>
<input name="token" type="password" autocomplete="off" autofocus></label>
<input type="hidden" name="next" value="{next_url}"><button type="submit">登录</button></form>""")

    def get(self):
        self.finish(self._form())

    def post(self):
        default = self.fupin_settings["base_url"] + "voila/render/review.ipynb"
        try:
            user = authenticate_token(self.get_body_argument("token", "").strip(),
                                      url=self.fupin_settings["db_url"])
        except FupinError as error:
            self.set_status(403)
            self.finish(self._form(str(error)))
            return
        self._start_session(user)
        self.redirect(_safe_next(self.get_body_argument("next", ""), default))


class LogoutHandler(_SignIn, tornado.web.RequestHandler):
    """End the browser session (``/fupin/logout``)."""

    def get(self):
        session_id = self.get_signed_cookie(SESSION_COOKIE)
        if session_id:
            end_session(session_id.decode("ascii"), url=self.fupin_settings["db_url"])
        self.clear_cookie(SESSION_COOKIE, path=self.fupin_settings["base_url"])
        self.redirect(self.fupin_settings["base_url"] + "fupin/login")


class HomeHandler(tornado.web.RequestHandler):
    """``/`` leads to the review app."""

    def get(self):
        self.redirect(self.settings["fupin"]["base_url"] + "voila/render/review.ipynb")


class FupinVoila(Voila):
    """Voila with sign-in, the offline template and no file browsing."""

    fupin_db_url: str = ""
    fupin_trusted_header: str | None = None
    fupin_max_kernels: int = 40
    fupin_on_ready = None

    def setup_template_dirs(self):
        super().setup_template_dirs()
        self.template_paths.insert(0, str(TEMPLATE_DIR))

    def init_settings(self):
        settings = super().init_settings()
        settings["fupin"] = {
            "db_url": self.fupin_db_url,
            "trusted_header": self.fupin_trusted_header,
            "max_kernels": self.fupin_max_kernels,
            "base_url": self.base_url,
        }
        return settings

    def init_handlers(self):
        kept = []
        for rule in super().init_handlers():
            pattern, handler = rule[0], rule[1]
            if handler is TornadoVoilaTreeHandler or "/voila/api/contents" in pattern:
                continue
            if handler is TornadoVoilaHandler:
                rule = (pattern, FupinVoilaHandler, *rule[2:])
            kept.append(rule)
        base = self.base_url
        kept += [
            (base, HomeHandler),
            (base + "fupin/login", LoginHandler),
            (base + "fupin/logout", LogoutHandler),
        ]
        return kept

    def stop(self):
        # A preheated kernel waits inside an execute request for its page. A
        # polite shutdown closes its sockets under that request, and the kernel
        # logs a ZMQError traceback, so the kernels are killed at once. The
        # apps keep nothing in memory that the case store has not committed.
        from jupyter_core.utils import run_sync

        shutil.rmtree(self.connection_dir, ignore_errors=True)
        run_sync(self.kernel_manager.shutdown_all)(now=True)
        logger.info("server stopped, kernels shut down")

    def listen(self):
        # Voila logs a busy port and exits quietly; `fupin serve` must fail loudly.
        check_port(self.ip, self.port)
        if self.fupin_on_ready is not None:
            # The loop runs its first callbacks only after Voila has bound the port.
            tornado.ioloop.IOLoop.current().add_callback(self.fupin_on_ready)
        super().listen()


def check_port(host: str, port: int) -> None:
    """Raise `FupinError` with a Chinese message when `host:port` cannot be bound."""
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((host, port))
    except OSError as error:
        raise FupinError(
            f"端口 {port} 已被占用或无权使用（{host}）：{error.strerror}。"
            "请关闭占用该端口的程序，或用 --port 指定其他端口。"
        ) from error
    finally:
        probe.close()


def build_argv(apps_dir: Path, *, host: str, port: int, pool_size: int,
               idle_timeout: int) -> list[str]:
    """Return the Voila command-line options of `fupin serve`."""
    return [
        str(apps_dir),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.tornado_settings={'xsrf_cookies': False}",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaConfiguration.preheat_kernel={pool_size > 0}",
        f"--VoilaConfiguration.default_pool_size={pool_size}",
        f"--VoilaConfiguration.http_header_envs=['{TICKET_HEADER}']",
        "--VoilaConfiguration.file_allowlist=[]",
        "--VoilaConfiguration.template=lab",
        "--VoilaConfiguration.theme=light",
        f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=True",
    ]


def kernel_environment(*, db_url: str, host: str, clean_root=None,
                       outputs_root=None) -> dict[str, str]:
    """Return the environment variables `run_server` sets for the app kernels.

    A kernel runs in the notebook's folder, so every folder is made absolute
    against the folder `fupin serve` was started in.

    Examples
    --------
    >>> env = kernel_environment(db_url="sqlite:////srv/fupin.db", host="0.0.0.0",
    ...                          outputs_root="/srv/outputs")
    >>> env["FUPIN_OUTPUTS_ROOT"], env["VOILA_APP_IP"]
    ('/srv/outputs', '127.0.0.1')
    """
    environment = {
        "FUPIN_DB_URL": db_url,
        "VOILA_APP_IP": "127.0.0.1" if host in ("0.0.0.0", "") else host,
    }
    if clean_root is not None:
        environment["FUPIN_CLEAN_ROOT"] = str(Path(clean_root).resolve())
    if outputs_root is not None:
        environment["FUPIN_OUTPUTS_ROOT"] = str(Path(outputs_root).resolve())
    return environment


def run_server(apps_dir, *, host: str = "127.0.0.1", port: int = 8866, db_url: str,
               clean_root=None, outputs_root=None, trusted_header: str | None = None,
               pool_size: int = 2, max_kernels: int = 40, idle_timeout: int = 600,
               on_ready=None) -> None:
    """Start the apps server and block until it stops.

    `on_ready`, a function without arguments, is called once the port is
    bound and the server accepts requests.

    The kernels inherit the environment of `kernel_environment`:
    ``FUPIN_DB_URL`` (absolute), ``FUPIN_CLEAN_ROOT`` (household pages),
    ``FUPIN_OUTPUTS_ROOT`` (the dashboard) and ``VOILA_APP_IP``, so that a
    kernel, whose working folder is the notebook's, finds the same store and
    data.
    """
    check_port(host, port)
    apps_dir = Path(apps_dir).resolve()
    if not (apps_dir / "review.ipynb").is_file():
        raise FupinError(f"应用目录 {apps_dir} 中没有 review.ipynb，请用 --apps 指定 notebooks/apps。")
    environment = kernel_environment(db_url=db_url, host=host, clean_root=clean_root,
                                     outputs_root=outputs_root)
    os.environ.update(environment)
    logger.info("kernel folders: clean %s, outputs %s", environment.get("FUPIN_CLEAN_ROOT"),
                environment.get("FUPIN_OUTPUTS_ROOT"))
    from ..cases import init_db

    init_db(db_url)
    app = FupinVoila()
    app.fupin_db_url = db_url
    app.fupin_trusted_header = trusted_header
    app.fupin_max_kernels = max_kernels
    app.fupin_on_ready = on_ready
    app.initialize(build_argv(apps_dir, host=host, port=port, pool_size=pool_size,
                              idle_timeout=idle_timeout))
    logger.info("serving %s on http://%s:%s/", apps_dir, host, port)
    app.start()
