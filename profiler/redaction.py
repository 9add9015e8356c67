"""Secrets kept out of everything kitprof records, prints or stores.

Two rules, applied to any text that may hold a command line, a build context or a
database URL:

- the **userinfo of every URL** (``https://user:token@host``, ``https://token@host``,
  ``postgresql://user:password@host``) is replaced by ``<redacted>``, whoever wrote
  it and wherever it sits (a build context, ``--build-context name=URL``, a
  ``--build-arg`` value, a shell script given to ``sh -c``, a ``--db`` URL);
- the value of an assignment ``KEY=VALUE`` whose key looks secret (see
  :func:`looks_secret`) is replaced: ``--build-arg NPM_TOKEN=…``, ``env NPM_TOKEN=…``,
  ``sudo NPM_TOKEN=… docker …``, ``NPM_TOKEN=… docker …`` inside a script.

The flag-aware rules of build commands (``--secret`` fields, bake's ``--set``) live in
:mod:`profiler.capture.command`, which uses these.
"""

from __future__ import annotations

import re

REDACTED = "<redacted>"

_LONG_SECRET_WORDS = (
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "PRIVATE",
    "APIKEY",
    "ACCESSKEY",
    "AUTH",
    "NPMRC",
    "PYPIRC",
    "NETRC",
    "COOKIE",
    "SESSION",
    "SIGNATURE",
)
_SHORT_SECRET_PARTS = frozenset({"KEY", "PAT", "PASS", "PWD", "CERT", "DSN", "SALT", "PW", "CREDS"})
_KEY_PARTS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

# scheme://userinfo@host: the userinfo runs to the *last* "@" of the authority (which
# ends at "/", "?", "#" or a space), so an unescaped "@" inside a password
# (postgresql://u:Sec@ret@host/db) is covered whole.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s\"']*@")
# KEY=VALUE in a shell script: the value up to the next unquoted blank or operator.
_SCRIPT_ASSIGNMENT = re.compile(
    r"(?P<key>(?<![\w.-])[A-Za-z_][\w.-]*)=(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s;&|()<>]*)"
)
_ARG_ASSIGNMENT = re.compile(r"^(?P<key>[A-Za-z_][\w.-]*)=(?P<value>.*)$", re.DOTALL)


def looks_secret(key: str) -> bool:
    """True when a variable or build-arg name suggests its value is a credential."""
    upper = key.upper()
    squeezed = re.sub(r"[^A-Z0-9]", "", upper)
    if any(word in squeezed for word in _LONG_SECRET_WORDS):
        return True
    parts = {part.upper() for part in _KEY_PARTS.split(key) if part}
    return bool(parts & _SHORT_SECRET_PARTS)


def redact_urls(text: str) -> str:
    """Every URL's userinfo in ``text`` replaced by ``<redacted>``."""
    if "://" not in text:
        return text
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def redact_assignment(text: str) -> str:
    """``KEY=VALUE`` with the value redacted when the key looks secret, else with its
    URLs' userinfo redacted; any other text with its URLs redacted."""
    match = _ARG_ASSIGNMENT.match(text)
    if match is None:
        return redact_urls(text)
    key = match.group("key")
    if looks_secret(key.rsplit(".", 1)[-1]) or looks_secret(key):
        return f"{key}={REDACTED}"
    return f"{key}={redact_urls(match.group('value'))}"


def redact_script(script: str) -> str:
    """A shell script (``sh -c SCRIPT``) with secret assignments and URL userinfo
    redacted, its layout otherwise kept (it is shown to people as written)."""

    def assignment(match: re.Match[str]) -> str:
        key = match.group("key")
        if looks_secret(key.rsplit(".", 1)[-1]) or looks_secret(key):
            return f"{key}={REDACTED}"
        return match.group(0)

    return redact_urls(_SCRIPT_ASSIGNMENT.sub(assignment, script))
