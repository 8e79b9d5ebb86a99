"""Where calls go: `--target` and the environment (`WIX_API_KEY`, `WIX_SITE_ID`, `WIX_API_URL`)
resolved to a `Target` — the embedded local sandbox, a URL (such as an emulator) or Wix.
`Target.describe()` is the first line of every command; it names the site, never the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from .errors import ProvisionerError

DEFAULT_WIX_URL = "https://www.wixapis.com"
SANDBOX_PATH = ".provisioner/sandbox.sqlite3"


@dataclass(frozen=True)
class Target:
    """Where calls go: "local" (the embedded sandbox), "url" (e.g. an emulator) or "wix"."""

    name: str
    base_url: str
    api_key: str = field(default="", repr=False)
    site_id: str = ""
    sandbox_path: str = SANDBOX_PATH

    def describe(self, full: bool = False) -> str:
        """The first line of every command; names the site, never the key. `full` gives the
        whole site id, as a plan file records it, so a plan cannot be applied to another site
        that shares the first characters."""
        if self.name == "local":
            return f"Target: local sandbox ({self.sandbox_path})"
        site = f"site {self.site_id}" if full else f"site {self.site_id[:4]}…"
        if self.name == "wix":
            return f"Target: Wix ({site})"
        return f"Target: {_without_userinfo(self.base_url)} ({site})"


def resolve_target(target: str | None, env: Mapping[str, str]) -> Target:
    """The target named by `--target` (None when not given) and the environment:
    `local`; `wix` or a URL (both need WIX_API_KEY and WIX_SITE_ID); or, with no `--target`,
    Wix at WIX_API_URL (default https://www.wixapis.com) when WIX_API_KEY is set, else local."""
    value = (target or "").strip()
    key = env.get("WIX_API_KEY", "").strip()
    if value == "local":
        return Target("local", "")
    if value == "wix":
        key, site = _credentials(env, "--target wix")
        return Target("wix", DEFAULT_WIX_URL, key, site)
    if value:
        shown = "the API key" if key and key in value else repr(value)
        url = _checked_url(value, f"--target must be `local`, `wix` or an http(s) URL such as "
                                  f"http://127.0.0.1:8787, not {shown}")
        key, site = _credentials(env, f"--target {_without_userinfo(url)}")
        return Target("url", url, key, site)
    if not key:
        # A site id or URL without a key means the user meant a real site: falling back to the
        # sandbox would make a CI job with a missing secret "succeed" against the wrong target.
        for stray in ("WIX_SITE_ID", "WIX_API_URL"):
            if env.get(stray, "").strip():
                raise ProvisionerError(
                    f"{stray} is set but WIX_API_KEY is not: set WIX_API_KEY to use that site, "
                    "or pass --target local for the local sandbox")
        return Target("local", "")
    key, site = _credentials(env, "WIX_API_KEY is set")
    url = env.get("WIX_API_URL", "").strip()
    if not url:
        return Target("wix", DEFAULT_WIX_URL, key, site)
    url = _checked_url(url, "WIX_API_URL must be an http(s) URL such as https://www.wixapis.com")
    return Target("wix" if url == DEFAULT_WIX_URL else "url", url, key, site)


def _credentials(env: Mapping[str, str], why: str) -> tuple[str, str]:
    names = ("WIX_API_KEY", "WIX_SITE_ID")
    missing = [name for name in names if not env.get(name, "").strip()]
    if missing:
        raise ProvisionerError(
            f"{' and '.join(missing)} must be set for {why}: the API key and the id of the "
            "site to manage (Wix dashboard → Settings → API Keys)")
    return env["WIX_API_KEY"].strip(), env["WIX_SITE_ID"].strip()


def _checked_url(value: str, complaint: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProvisionerError(complaint)
    return value.rstrip("/")


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
