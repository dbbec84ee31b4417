"""Writing files safely: all at once or not at all, and never replacing a device or a pipe.

Every file glassnet writes — a model, a CSV of predictions, a picture — goes through
`atomic_write`: the bytes go to a temporary file beside the target, are flushed to disk, and
then ``os.replace`` renames it over the target in one step. A reader therefore sees the old
file or the whole new one, never half; a failure or an interrupt leaves no temporary behind.

A path that names a device or a pipe (``/dev/null``, ``/dev/stdout``, a FIFO) is the one
exception: renaming over it would replace the device with a regular file, so it is written
into instead (`is_device_or_pipe`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from typing import IO

from .errors import GlassnetError

__all__ = [
    "as_path",
    "atomic_write",
    "check_writable",
    "is_device_or_pipe",
    "not_replaceable",
    "reason",
    "temporary_sibling",
]

#: the longest file name (one path component) that common file systems allow, in bytes
NAME_MAX = 255


def is_device_or_pipe(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a directory.

    Such a path (``/dev/null``, a FIFO, a terminal) is written into, never replaced, and
    writing to it destroys no file.
    """
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def as_path(path: object, name: str = "path") -> str:
    """``path`` (a str or an ``os.PathLike`` of str) as a str, or a GlassnetError naming `name`.

    An empty path, a NUL character and bytes are refused here, in one line, rather than as
    the TypeError or ValueError the operating system's calls would raise later.
    """
    text: object = None
    if isinstance(path, (str, os.PathLike)):
        try:
            text = os.fspath(path)
        except TypeError:  # __fspath__ returned neither str nor bytes
            text = None
    if not isinstance(text, str):
        raise GlassnetError(f"{name} must be a str or path-like object, got {path!r}")
    if not text:
        raise GlassnetError(f"{name} must name a file, got ''")
    if "\0" in text:
        raise GlassnetError(f"{name} must not contain a NUL character, got {text!r}")
    return text


def not_replaceable(path: str) -> str | None:
    """Why `atomic_write` must not write ``path``, in a few words, or None if it may.

    It may write a regular file (replacing it), a new name in any directory, or a character
    device such as ``/dev/null`` (written into). It refuses a directory, a FIFO (named pipe:
    opening one for writing waits for a reader, forever if none comes), a socket, a block
    device, and a file name longer than `NAME_MAX` bytes.
    """
    if len(os.fsencode(os.path.basename(path))) > NAME_MAX:
        n = len(os.path.basename(path))
        return f"the file name is {n} characters long; file systems allow at most {NAME_MAX}"
    try:
        mode = os.stat(path).st_mode
    except OSError:  # no such file yet (or no access): writing it will say what is wrong
        return None
    if stat.S_ISREG(mode) or stat.S_ISCHR(mode):
        return None
    if stat.S_ISDIR(mode):
        return "it is a directory"
    if stat.S_ISFIFO(mode):
        return "it is a pipe (FIFO), not a regular file"
    if stat.S_ISSOCK(mode):
        return "it is a socket, not a regular file"
    return "it is not a regular file"


def temporary_sibling(path: str | os.PathLike[str], suffix: str = ".tmp") -> str:
    """A fresh hidden name in the directory of ``path``, e.g. ``.model.npz.3f9a0c1e.tmp``.

    The same directory, so that ``os.replace`` is a rename within one file system (atomic);
    the base name is cut to 64 characters so that a long one still fits the 255 allowed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(os.fspath(path))[:64]
    return os.path.join(directory, f".{name}.{secrets.token_hex(4)}{suffix}")


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it over ``path``.

    The file is flushed and synced before the rename, so a crash right after leaves the whole
    new file or the old one. On any error — including KeyboardInterrupt — the temporary file is
    removed and the error propagates; ``path`` is untouched. A device or pipe is written into.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace.
    write : callable taking a binary file object
        Writes the content; it may raise, and then nothing is left behind.

    Raises
    ------
    OSError
        If the file cannot be written; callers turn it into their own one-line message (see
        `reason`).

    Examples
    --------
    >>> atomic_write("hello.txt", lambda f: f.write(b"hello\\n"))  # doctest: +SKIP
    """
    if is_device_or_pipe(path):
        with open(path, "wb") as f:
            write(f)
        return
    temporary = temporary_sibling(path)
    # O_EXCL: never follow or reuse an existing name; mode 0o666 minus the umask, like any
    # ordinary file (mkstemp's 0o600 would make the file unreadable to the user's group)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def reason(exc: OSError) -> str:
    """Why a write failed, in a few words: a missing directory is named as such."""
    if isinstance(exc, FileNotFoundError):  # the temporary file could not be created
        return "no such directory"
    return str(exc.strerror or exc)


def check_writable(path: str) -> None:
    """Raise a GlassnetError now, before any work, if ``path`` cannot be written later.

    A device or pipe must allow writing; any other path must name a file in an existing
    directory where a new file can be created.
    """
    if os.path.isdir(path):
        raise GlassnetError(f"cannot write {path}: it is a directory")
    if is_device_or_pipe(path):
        if not os.access(path, os.W_OK):
            raise GlassnetError(f"cannot write {path}: permission denied")
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        exists = os.path.exists(directory)
        problem = f"{directory} is not a directory" if exists else f"no such directory {directory}"
        raise GlassnetError(f"cannot write {path}: {problem}")
    # create and delete a file where the output will go: permissions alone do not tell (root
    # may write anywhere, yet not in /proc or on a read-only file system)
    probe = temporary_sibling(path, ".probe")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        why = "permission denied" if isinstance(exc, PermissionError) else exc.strerror
        raise GlassnetError(f"cannot write {path}: {why or exc}") from None
    os.remove(probe)
