"""`provisioner watch`: a long-running receiver of Wix webhooks for the spec's events.

It answers webhooks POSTed to any path of `--listen HOST:PORT` (starlette + uvicorn): each
delivery's RS256 JWT is verified with the app's public key (`--public-key FILE`, or
`--public-key-url URL` such as the emulator's `/_emulator/webhooks/public-key`), its issuer and
expiry checked; anything else is answered 401 and never acted on, and a retried delivery (an id
seen before) is answered 200 and not acted on again. What a webhook means is `watcher`'s job:
drift notices, the ticket counter, sale starts, and with `--reconcile` the drift applied back.
`--poll SECONDS` re-plans the whole spec on a timer, for a machine webhooks cannot reach.
Ctrl-C or SIGTERM stops it cleanly.

Exit codes: 0 stopped, 1 it could not start (a bad spec, key, target or address), 2 bad usage.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..client.errors import ProvisionerError
from .common import (
    checked_spec,
    color_text,
    configure_logging,
    env_options,
    fail,
    select,
    template_options,
)

# asyncio and socket (which asyncio imports too) are imported by the functions that run the
# watch: `watch --help` and shell completion need neither
if TYPE_CHECKING:
    import socket

MAX_BODY = 1024 * 1024  # bytes of a delivery; a webhook carries one entity
EXEC_TIMEOUT = 30.0  # seconds an --exec command may take per notice


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:8080` for IPv6) as (host, port)."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise click.BadParameter(f"{value!r} is not HOST:PORT, such as 127.0.0.1:8788",
                                 param_hint="--listen")
    return host, int(port)


@click.command()
@click.argument("paths", nargs=-1, metavar="[SPEC]...")
@click.option("--listen", metavar="HOST:PORT",
              help="Where to receive webhooks (POST, any path), such as 127.0.0.1:8788; port 0 "
                   "picks a free one.")
@click.option("--public-key", "public_key_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The app's public key (PEM) that webhooks are signed with.")
@click.option("--public-key-url", metavar="URL",
              help="Fetch the public key from this URL (PEM, or JSON with `publicKey`, as the "
                   "emulator's /_emulator/webhooks/public-key serves it).")
@click.option("--target", "target_name", metavar="TARGET",
              help="`local`, `wix`, or the URL of an emulator or API (as for plan).")
@click.option("--json", "as_json", is_flag=True, help="Print each notice as one JSON line.")
@click.option("--exec", "exec_command", metavar="CMD",
              help="Also run CMD (with the shell) for each notice, its JSON on standard input.")
@click.option("--reconcile", is_flag=True,
              help="Apply drift back to the spec, with apply's guards (and the flags below).")
@click.option("--allow-delete-sold", is_flag=True,
              help="With --reconcile: allow deleting what has sold tickets.")
@click.option("--allow-cancel", is_flag=True, help="With --reconcile: allow cancelling events.")
@click.option("--poll", type=click.FloatRange(1, 86_400), metavar="SECONDS",
              help="Also re-plan the whole spec every SECONDS (where webhooks cannot reach).")
@click.option("--rate-limit", type=click.IntRange(0), default=200, show_default=True,
              help="Calls a minute to allow ourselves on a remote site; 0: no limit.")
@click.option("--debug", is_flag=True, help="Trace every API call on stderr.")
@template_options
@env_options(all_envs=False)
def watch(paths: tuple[str, ...], listen: str | None, public_key_file: Path | None,
          public_key_url: str | None, target_name: str | None, as_json: bool,
          exec_command: str | None, reconcile: bool, allow_delete_sold: bool,
          allow_cancel: bool, poll: float | None, rate_limit: int, debug: bool,
          var_assignments: tuple[str, ...], var_files: tuple[str, ...],
          env_name: str | None) -> None:
    """Watch the spec's events: drift as it happens, the ticket counter, sale starts.

    Without SPEC, the workspace's specs. Needs --listen (with a public key) or --poll.
    """
    import asyncio

    from ..model import ALLOW_CANCEL, ALLOW_SOLD_DELETE

    if not listen and not poll:
        raise click.UsageError("give --listen HOST:PORT to receive webhooks, --poll SECONDS "
                               "to re-plan on a timer, or both")
    if listen and not (public_key_file or public_key_url):
        raise click.UsageError("--listen needs the app's public key to verify webhooks: "
                               "--public-key FILE or --public-key-url URL")
    if public_key_file and public_key_url:
        raise click.UsageError("give one of --public-key and --public-key-url")
    address = parse_listen(listen) if listen else None
    configure_logging(debug)
    selection = select(env_name, target_name)
    paths = selection.spec_paths(paths)
    target = selection.announce(target_name, to_stderr=as_json)
    try:
        result = checked_spec(paths, selection.variables(var_assignments, var_files),
                              "nothing is watched")
    except ProvisionerError as error:
        fail(str(error))
    documents = [d.data for d in result.documents if isinstance(d.data, dict)]
    key = _public_key(public_key_file, public_key_url) if address else None
    allowed = frozenset(flag for flag, given in ((ALLOW_SOLD_DELETE, allow_delete_sold),
                                                  (ALLOW_CANCEL, allow_cancel)) if given)
    options = {"as_json": as_json, "exec": exec_command, "reconcile": reconcile,
               "allowed": allowed, "poll": poll, "rate_limit": rate_limit}
    # SIGTERM stops as Ctrl-C does: the server, once it has shut down, raises the signal it
    # caught again, and that must end here, not kill the process
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        asyncio.run(_serve(target, documents, address, key, options))
    except ProvisionerError as error:
        fail(str(error))
    except KeyboardInterrupt:
        pass
    click.echo("Stopped watching.", err=as_json)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _public_key(file: Path | None, url: str | None) -> Any:
    from ..client.webhooks import load_public_key

    if file is not None:
        try:
            return load_public_key(file.read_bytes(), f"--public-key {file}")
        except OSError as error:
            fail(f"--public-key {file}: cannot be read: {error.strerror or error}")
        except ProvisionerError as error:
            fail(str(error))
    assert url is not None
    import httpx

    try:
        answer = httpx.get(url, timeout=10, follow_redirects=False)
        answer.raise_for_status()
    except httpx.HTTPError as error:
        fail(f"--public-key-url {url}: cannot be fetched: {type(error).__name__}: {error}")
    text = answer.text
    with contextlib.suppress(ValueError):
        decoded = json.loads(text)
        if isinstance(decoded, dict) and isinstance(decoded.get("publicKey"), str):
            text = decoded["publicKey"]
    try:
        return load_public_key(text, f"--public-key-url {url}")
    except ProvisionerError as error:
        fail(str(error))


async def _serve(target: Any, documents: list[dict[str, Any]],
                 address: tuple[str, int] | None, key: Any, options: dict[str, Any]) -> None:
    import asyncio

    import uvicorn

    from ..client.session import connect
    from .watcher import Notice, Watcher, notice_line

    as_json = options["as_json"]

    async def say(notice: Notice) -> None:
        line = notice_line(notice, as_json)
        click.echo(line if as_json else _styled(notice, line))
        if options["exec"]:
            await _run_exec(options["exec"], notice)

    def locked_client() -> Any:
        return connect(target, lock_timeout=300)

    async with connect(target) as client:
        if target.name != "local" and options["rate_limit"]:
            client.limit_rate(options["rate_limit"])
        watcher = Watcher(client, documents, target.describe(full=True), say,
                          reconcile=options["reconcile"], allowed=options["allowed"],
                          reconcile_client=locked_client if target.name == "local" else None)
        await watcher.check()
        slugs = ", ".join(watcher.slugs) or "no events"
        if not watcher.drifted:
            await say(Notice("in_line", "", f"in line: {slugs}: the site matches the spec"))
        tasks: list[asyncio.Task[None]] = []
        if options["poll"]:
            tasks.append(asyncio.create_task(_poll(watcher, options["poll"])))
        try:
            if address is None:
                click.echo(f"Watching {slugs}: re-planning every {options['poll']:g} s. "
                           "Ctrl-C stops.", err=as_json)
                await _until_stopped()
            else:
                sock = _bind(*address)
                host, port = sock.getsockname()[:2]
                shown = f"[{host}]" if ":" in host else host
                click.echo(f"Watching {slugs}: listening for webhooks on http://{shown}:{port}"
                           " (POST, any path). Ctrl-C stops.", err=as_json)
                sys.stdout.flush()
                app = _receiver(watcher, key, target.site_id)
                config = uvicorn.Config(app, log_level="warning", access_log=False,
                                        lifespan="off")
                await uvicorn.Server(config).serve(sockets=[sock])
        finally:
            for task in tasks:
                task.cancel()
            await watcher.close()


def _receiver(watcher: Any, key: Any, site_id: str) -> Any:
    """The starlette app: verify each POST, answer at once, act in the background. A
    webhook about another site than the watched one (an app installed on several) is
    answered and left alone."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from ..client.webhooks import SeenDeliveries, WebhookRefused, verify

    seen = SeenDeliveries()
    background: set[asyncio.Task[None]] = set()

    async def deliver(request: Request) -> JSONResponse:
        if request.method != "POST":
            return JSONResponse({"error": "webhooks are POSTed"}, status_code=405)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return JSONResponse({"error": "too large for a webhook"}, status_code=413)
        try:
            hook = verify(body, key)
        except WebhookRefused as refusal:
            click.echo(color_text(f"refused a webhook from {_client(request)}: {refusal}",
                                  fg="red"), err=True)
            return JSONResponse({"error": str(refusal)}, status_code=401)
        if site_id and hook.site_id and hook.site_id != site_id:
            return JSONResponse({"status": "another site"})
        if not seen.first_time(hook.id):
            return JSONResponse({"status": "already handled"})
        # answered at once (Wix waits 1.25 s at most); handled in the background
        task = asyncio.create_task(watcher.guarded(watcher.received(hook)))
        background.add(task)
        task.add_done_callback(background.discard)
        return JSONResponse({"status": "accepted"})

    return Starlette(routes=[Route("/{path:path}", deliver, methods=["POST", "GET", "PUT",
                                                                     "PATCH", "DELETE"])])


def _client(request: Any) -> str:
    return request.client.host if request.client else "an unknown address"


def _bind(host: str, port: int) -> socket.socket:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ProvisionerError(f"--listen {host}:{port}: cannot listen there: "
                               f"{error.strerror or error}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _poll(watcher: Any, seconds: float) -> None:
    import asyncio

    while True:
        await asyncio.sleep(seconds)
        await watcher.guarded(watcher.check())


async def _until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM (poll-only mode, where no server handles them)."""
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def _run_exec(command: str, notice: Any) -> None:
    """Pipe the notice's JSON to `command`; its failure is said, never fatal."""
    import asyncio

    data = (json.dumps(notice.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
    try:
        process = await asyncio.create_subprocess_shell(
            command, stdin=asyncio.subprocess.PIPE, stdout=None, stderr=None)
        await asyncio.wait_for(process.communicate(data), EXEC_TIMEOUT)
    except (OSError, TimeoutError) as error:
        click.echo(color_text(f"--exec failed: {error}", fg="red"), err=True)
        return
    if process.returncode:
        click.echo(color_text(f"--exec exited {process.returncode} for a {notice.kind} notice",
                              fg="red"), err=True)


def _styled(notice: Any, line: str) -> str:
    colors = {"drift": "yellow", "in_line": "green", "counter": "cyan", "sale_start": "magenta",
              "reconciled": "green", "reconcile_refused": "red", "error": "red"}
    return color_text(line, fg=colors.get(notice.kind))
