"""Who is using an app: the signed-in user as seen from inside an app kernel.

How the user reaches the kernel: the Voila server (`fupin serve`) checks the
login token, session cookie or trusted proxy header on every page request,
then puts a one-time ticket into the ``X-Fupin-Ticket`` request header, which
Voila passes to the kernel as ``HTTP_X_FUPIN_TICKET`` (``http_header_envs``).
A preheated kernel starts before any request, so `current_user` first waits
for its request (``voila.utils.wait_for_request``) and then redeems the
ticket in the case store. A browser cannot forge the ticket: the server drops
any ``X-Fupin-Ticket`` header the client sends.

Outside Voila (JupyterLab, tests, scripts) ``FUPIN_USER`` names an existing
user instead.

The page's query string (links such as ``review.ipynb?household_no=...``)
arrives the same way: Voila puts it in ``QUERY_STRING`` once the request is
known, so `page_query` reads it after `current_user` has waited.
"""

from __future__ import annotations

import logging
import os

from .._errors import AccessDeniedError
from ..cases import get_user, redeem_ticket
from ..cases.access import User

__all__ = ["current_user", "page_query", "User", "TICKET_HEADER", "TICKET_ENV"]

logger = logging.getLogger(__name__)

TICKET_HEADER = "X-Fupin-Ticket"
TICKET_ENV = "HTTP_X_FUPIN_TICKET"

_cached: User | None = None


def _inside_voila() -> bool:
    return "VOILA_PREHEAT" in os.environ or os.environ.get("SERVER_SOFTWARE", "").startswith("voila")


def current_user(*, url: str | None = None) -> User:
    """Return the user this app session belongs to.

    Blocks in a preheated kernel until the page is requested. The result is
    cached for the life of the kernel, which serves exactly one page.

    Raises
    ------
    AccessDeniedError
        No valid ticket (signed out, expired, disabled user) or, outside
        Voila, no ``FUPIN_USER``.
    """
    global _cached
    if _cached is not None:
        return _cached
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        wait_for_request()
    ticket = os.environ.pop(TICKET_ENV, None)
    if ticket:
        _cached = redeem_ticket(ticket, url=url)
    elif not _inside_voila() and os.environ.get("FUPIN_USER"):
        _cached = get_user(os.environ["FUPIN_USER"], url=url)
    else:
        raise AccessDeniedError("未登录或登录已过期，请重新打开登录链接。")
    logger.info("app session of user %s (%s, %s)", _cached.name, _cached.role, _cached.area_code)
    return _cached


def page_query() -> str:
    """Return the query string of this app session's page ('' when none).

    Call it after `current_user`, which waits for the request in a
    preheated kernel. The sign-in token is never in it: the server redirects
    a token link to the same page without the token.
    """
    return os.environ.get("QUERY_STRING", "")
