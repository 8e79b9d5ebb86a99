"""Read one spec input from disk, bounded whatever the file is: only a regular file, at most
a given number of bytes, UTF-8 text. Shared by the loader (spec files), the template layer
(`from` templates, var files) and the plan file reader; or the standard input, for a spec
given as `-`."""

from __future__ import annotations

import codecs
import os
import stat
import sys

from .problems import Problem

MAX_FILE_BYTES = 20 * 1024 * 1024
STDIN = "<stdin>"  # how a spec given as `-` is named in messages


def file_problem(file: str, message: str, rule: str = "file") -> Problem:
    return Problem(file, 0, 0, "", message, rule=rule)


class Unreadable(Exception):
    """A file that is not read: what it is, in words that follow its name."""


def read_text(file: str) -> tuple[str | None, Problem | None]:
    """The file's text as UTF-8 (a byte-order mark is allowed), or why it cannot be read;
    `STDIN` is the standard input (a spec given as `-`)."""
    try:
        raw = read_stdin(MAX_FILE_BYTES) if file == STDIN else \
            read_bounded(file, MAX_FILE_BYTES, "a spec file")
    except Unreadable as refused:
        return None, file_problem(file, str(refused))
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[skip:].decode("utf-8"), None
    except UnicodeDecodeError as error:
        bad = skip + error.start  # an offset into the raw bytes
        line_start = raw.rfind(b"\n", 0, bad) + 1
        line = raw[:bad].count(b"\n") + 1
        # columns count characters, as the YAML parser's do
        column = len(raw[max(line_start, skip):bad].decode("utf-8", "replace")) + 1
        return None, Problem(file, line, column, "", f"is not UTF-8 text (byte "
                             f"0x{raw[bad]:02x}); save the file as UTF-8", rule="encoding")


def read_stdin(limit: int) -> bytes:
    """At most `limit` bytes of the standard input, read to its end; more is refused."""
    try:
        raw = sys.stdin.buffer.read(limit + 1)
    except (OSError, ValueError) as error:  # ValueError: stdin closed
        raise Unreadable(f"cannot be read: {error}") from None
    if len(raw) > limit:
        raise _too_big(None, limit, "a spec")
    return raw


def read_bounded(file: str, limit: int, noun: str) -> bytes:
    """At most `limit` bytes of the regular file `file`, whatever its size says: a device
    (`/dev/zero`) reports size 0 and never ends, and a FIFO would block. Raises `Unreadable`
    with the reason (`noun` names the file's role in it: "a spec file")."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not hang before it can be refused
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise Unreadable("is a folder") from None
    except PermissionError:
        raise Unreadable("cannot be read: permission denied") from None
    except OSError as error:
        raise Unreadable(f"cannot be read: {error.strerror or error}") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        raise Unreadable("is a folder" if stat.S_ISDIR(status.st_mode) else
                         "not a regular file")
    if status.st_size > limit:
        os.close(fd)
        raise _too_big(status.st_size, limit, noun)
    with os.fdopen(fd, "rb") as stream:
        try:
            raw = stream.read(limit + 1)  # a file that grew since is cut off here
        except OSError as error:
            raise Unreadable(f"cannot be read: {error.strerror or error}") from None
    if len(raw) > limit:
        raise _too_big(None, limit, noun)
    return raw


def _too_big(size: int | None, limit: int, noun: str) -> Unreadable:
    said = f"{size:,}" if size is not None else f"more than {limit:,}"
    return Unreadable(f"is {said} bytes; {noun} may be at most {limit:,}")
