"""Who may open the class view: the host, who proves it once with the server's host token.

The host opens /Class?token=SECRET once. The token leaves the page URL at once (it must never
show on a projector), is compared in constant time, and the session remembers a digest of it, so
the host's later reruns need no token and a restarted server with a new token locks the old
session out. Without GANLAB_HOST_TOKEN the class view is off. No Streamlit here: the page passes
its session state, its URL parameters and the environment."""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum
from typing import Mapping, MutableMapping

ENV_TOKEN = "GANLAB_HOST_TOKEN"
URL_KEY = "token"
HOST_KEY = "class_host_digest"  # in the session's state: the digest of the token it proved
TOKEN_CAP = 256  # characters; a longer one is wrong without being compared


class Access(str, Enum):
    OFF = "off"  # the server has no host token: the class view is switched off
    NO_TOKEN = "no token"  # this session has not proved the token
    WRONG = "wrong"  # a token was given, and it is not the server's
    HOST = "host"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison (the time taken says nothing about how much of it was right)."""
    if len(given) > TOKEN_CAP:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def host_access(state: MutableMapping, params: MutableMapping, environ: Mapping[str, str]) -> Access:
    """Decide, and take any token out of `params` (the URL) whatever the outcome."""
    given = params.get(URL_KEY)
    if URL_KEY in params:
        del params[URL_KEY]
    expected = (environ.get(ENV_TOKEN) or "").strip()
    if not expected:
        state.pop(HOST_KEY, None)
        return Access.OFF
    if given is not None:
        if isinstance(given, list):  # a repeated key: the last, as Streamlit reads it
            given = given[-1] if given else ""
        if token_matches(str(given), expected):
            state[HOST_KEY] = _digest(expected)
            return Access.HOST
        state.pop(HOST_KEY, None)
        return Access.WRONG
    proved = state.get(HOST_KEY)
    if isinstance(proved, str) and hmac.compare_digest(proved, _digest(expected)):
        return Access.HOST
    return Access.NO_TOKEN


START_COMMAND = f"{ENV_TOKEN}=<a secret of your choosing> streamlit run app.py --server.address 0.0.0.0"
SECRET_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(16))"'

REFUSALS = {
    Access.OFF: (
        "The class view is switched off on this server. To switch it on, start the server with a host "
        "token (a secret only you know):"),
    Access.NO_TOKEN: (
        "The class view is for the workshop's host. Open this page once as **/Class?token=** followed by "
        f"the host token the server was started with ({ENV_TOKEN}); the token then leaves the address bar."),
    Access.WRONG: (
        "That token is not this server's host token, so the class view stays closed. Check the link you "
        f"were given, or the {ENV_TOKEN} the server was started with."),
}
