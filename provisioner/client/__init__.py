"""Talking to a site: the bottom layer, which knows HTTP and the API's conventions but no
resource kind.

- `http`: `WixClient`, the one HTTP client (auth, timeouts, retries, paging, error typing);
- `transport`: the connections under it (HTTP/1.1 on asyncio), cheaper per call than httpx's
  own, and `framing`: the plain requests and answers they write and read without h11;
- `errors`: the exception tree every failure a user can see belongs to;
- `target`: `--target` and the environment turned into a `Target`;
- `ratelimit`: the client-wide pace (Wix allows about 200 calls a minute per site);
- `session`: a client opened on a target, the embedded sandbox included;
- `sandbox`: the local sandbox, the emulator run in process (the only door from the core into
  `provisioner.emulator`).

Nothing here imports from `kinds`, `plan`, `apply` or `cli`. The package itself imports no
submodule, so a command that needs only `errors` does not load httpx.
"""
