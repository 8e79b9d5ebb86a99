"""Where calls go: `--target` and the environment (`WIX_API_KEY`, `WIX_SITE_ID`, `WIX_API_URL`)
resolved to a `Target` — the embedded local sandbox, a URL (such as an emulator) or Wix.
`Target.describe()` is the first line of every command; it names the site, never the key.

Hostile input is refused here, in one line, before any call: credentials that cannot go in an
HTTP header (a zero-width space or newline pasted with the key), and a URL carrying credentials
of its own (`user:pass@` or a query string), which the client would never send but could leak
into messages. `redact()` is the one function that blanks secrets out of any text shown.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from .errors import ProvisionerError

DEFAULT_WIX_URL = "https://www.wixapis.com"
SANDBOX_PATH = ".provisioner/sandbox.sqlite3"
REDACTED = "***"
URL_CREDENTIALS = ("carries credentials (`user:password@` or a query string), which are never "
                   "sent: put the API key in WIX_API_KEY and the site id in WIX_SITE_ID")

# `scheme://user:pass@` and query values whose name says they are secret
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")
_SECRET_QUERY = re.compile(
    r"(?i)([?&;](?:[a-z0-9_.-]*(?:key|token|secret|pass(?:word)?|auth|sig(?:nature)?|"
    r"credential)[a-z0-9_.-]*)=)[^&#\s'\"]*")


class TargetUsageError(ProvisionerError):
    """A malformed `--target` value: bad usage, which the command line exits 2 for."""


@dataclass(frozen=True)
class Target:
    """Where calls go: "local" (the embedded sandbox), "url" (e.g. an emulator) or "wix"."""

    name: str
    base_url: str
    api_key: str = field(default="", repr=False)
    site_id: str = ""
    sandbox_path: str = SANDBOX_PATH
    # where the key and site id came from, for hints when the API refuses them
    key_source: str = "WIX_API_KEY"
    site_source: str = "WIX_SITE_ID"

    def describe(self, full: bool = False) -> str:
        """The first line of every command; names the site, never the key. `full` gives the
        whole site id, as a plan file records it, so a plan cannot be applied to another site
        that shares the first characters."""
        if self.name == "local":
            # a saved plan names the sandbox by its whole path: the same file, wherever the
            # plan is applied from
            path = os.path.abspath(self.sandbox_path) if full else self.sandbox_path
            return f"Target: local sandbox ({path})"
        site = f"site {self.site_id}" if full else f"site {self.site_id[:4]}…"
        if self.name == "wix":
            return f"Target: Wix ({site})"
        return f"Target: {_without_userinfo(self.base_url)} ({site})"


def resolve_target(target: str | None, env: Mapping[str, str],
                   sandbox_path: str = SANDBOX_PATH) -> Target:
    """The target named by `--target` (None when not given) and the environment:
    `local` (the sandbox at `sandbox_path`); `wix` or a URL (both need WIX_API_KEY and
    WIX_SITE_ID); or, with no `--target`, Wix at WIX_API_URL (default https://www.wixapis.com)
    when WIX_API_KEY is set, else local."""
    value = (target or "").strip()
    key = env.get("WIX_API_KEY", "").strip()
    if value == "local":
        return Target("local", "", sandbox_path=sandbox_path)
    if value == "wix":
        key, site = _credentials(env, "--target wix")
        return Target("wix", DEFAULT_WIX_URL, key, site)
    if value:
        shown = "the API key" if key and key in value else repr(redact(value, key))
        url = checked_url(value, "--target", f"--target must be `local`, `wix` or an http(s) "
                                              f"URL such as http://127.0.0.1:8787, not {shown}",
                           TargetUsageError)
        key, site = _credentials(env, f"--target {url}")
        return Target("url", url, key, site)
    if not key:
        # A site id or URL without a key means the user meant a real site: falling back to the
        # sandbox would make a CI job with a missing secret "succeed" against the wrong target.
        for stray in ("WIX_SITE_ID", "WIX_API_URL"):
            if env.get(stray, "").strip():
                raise ProvisionerError(
                    f"{stray} is set but WIX_API_KEY is not: set WIX_API_KEY to use that site, "
                    "or pass --target local for the local sandbox")
        return Target("local", "", sandbox_path=sandbox_path)
    key, site = _credentials(env, "WIX_API_KEY is set")
    url = env.get("WIX_API_URL", "").strip()
    if not url:
        return Target("wix", DEFAULT_WIX_URL, key, site)
    url = checked_url(url, "WIX_API_URL",
                       "WIX_API_URL must be an http(s) URL such as https://www.wixapis.com")
    return Target("wix" if url == DEFAULT_WIX_URL else "url", url, key, site)


def _credentials(env: Mapping[str, str], why: str) -> tuple[str, str]:
    names = ("WIX_API_KEY", "WIX_SITE_ID")
    missing = [name for name in names if not env.get(name, "").strip()]
    if missing:
        raise ProvisionerError(
            f"{' and '.join(missing)} must be set for {why}: the API key and the id of the "
            "site to manage (Wix dashboard → Settings → API Keys)")
    # outer whitespace (a newline from `echo key > file`) is dropped; anything inside is checked
    key, site = env["WIX_API_KEY"].strip(), env["WIX_SITE_ID"].strip()
    for name, value in zip(names, (key, site), strict=True):
        problem = header_value_problem(value)
        if problem:
            raise ProvisionerError(f"{name} {problem}")
    return key, site


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be sent as an HTTP header value (never quoting it: it is a secret),
    or None when it can."""
    for position, char in enumerate(value, start=1):
        if not " " <= char <= "~":  # printable ASCII only
            name = unicodedata.name(char, "").lower()
            return (f"contains a character that cannot be sent in an HTTP header "
                    f"(U+{ord(char):04X}{f' {name}' if name else ''} at position {position}; "
                    "a stray zero-width space or newline pasted with it?)")
    return None


def url_problem(url: str) -> str | None:
    """Why the client refuses the base URL `url` (it carries credentials), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None  # not a URL at all: httpx refuses it in its own words
    return URL_CREDENTIALS if "@" in parts.netloc or parts.query else None


def redact(text: str, api_key: str = "") -> str:
    """`text` with the secrets blanked out: the API key (also as Python and bytes reprs show
    it, escapes and all), a URL's `user:password@`, and query values named like a key, token,
    secret or password. Every exception text the client shows passes through here."""
    if api_key:
        for form in {api_key, repr(api_key)[1:-1],
                     repr(api_key.encode("utf-8", "backslashreplace"))[2:-1]}:
            text = text.replace(form, REDACTED)
    text = _USERINFO.sub(rf"\1{REDACTED}@", text)
    return _SECRET_QUERY.sub(rf"\1{REDACTED}", text)


def checked_url(value: str, name: str, complaint: str,
                 error: type[ProvisionerError] = ProvisionerError) -> str:
    try:
        parts = urlsplit(value)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # such as an unclosed `[` of an IPv6 address
        usable = False
    if not usable:
        raise error(complaint)
    problem = url_problem(value)
    if problem:
        raise error(f"{name} {problem}")
    return value.rstrip("/")


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
