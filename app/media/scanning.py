"""Virus scanning through a ClamAV daemon (clamd) on a UNIX socket, with the INSTREAM command.

The scanner fails closed: when clamd cannot be reached or answers with an error, the upload is refused
with 503 (try again later) rather than stored unscanned. The EICAR test string is refused by
`validation.validate_upload` itself, with or without a scanner.
"""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext

from app.media.validation import UploadRejected

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
MAX_REPLY = 4096


def _unavailable() -> UploadRejected:
    return UploadRejected(
        gettext("Virus scanning is temporarily unavailable. Please try again in a few minutes."),
        reason="scanner_unavailable",
        status_code=503,
    )


def _infected() -> UploadRejected:
    return UploadRejected(gettext("The file contains a virus and was refused."), reason="malware")


def _read_reply(sock: socket.socket) -> bytes:
    """Read up to the NUL that ends a reply to a `z`-prefixed command (or until clamd closes)."""
    reply = b""
    while b"\0" not in reply and len(reply) < MAX_REPLY:
        chunk = sock.recv(MAX_REPLY)
        if not chunk:
            break
        reply += chunk
    return reply.split(b"\0", 1)[0].strip()


def instream(socket_path: str, data: bytes, timeout: float = 10) -> str:
    """Send `data` to clamd with zINSTREAM and return its reply, e.g. 'stream: OK'.

    Raises OSError (including timeouts) when clamd cannot be reached or drops the connection.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        sock.sendall(b"zINSTREAM\0")
        view = memoryview(data)
        try:
            for start in range(0, len(view), CHUNK_SIZE):
                chunk = view[start : start + CHUNK_SIZE]
                sock.sendall(struct.pack("!I", len(chunk)) + chunk)
            sock.sendall(struct.pack("!I", 0))
        except (BrokenPipeError, ConnectionResetError):
            # clamd stops reading when the stream exceeds its StreamMaxLength and replies with an error.
            reply = _read_reply(sock)
            if not reply:
                raise
            return reply.decode("utf-8", errors="replace")
        return _read_reply(sock).decode("utf-8", errors="replace")


def clamd_scanner(socket_path: str, timeout: float = 10) -> Callable[[bytes], None]:
    """A scanner for `validate_upload`: returns on 'OK', raises UploadRejected on a virus or a failure."""

    def scan(data: bytes) -> None:
        try:
            reply = instream(socket_path, data, timeout)
        except OSError as exc:
            log.error("clamd at %s is unavailable: %s", socket_path, exc)
            raise _unavailable() from exc
        if reply.endswith("FOUND"):
            log.warning("clamd found a virus in an upload: %s", reply)
            raise _infected()
        if reply.endswith(": OK") or reply == "OK":
            return
        # 'INSTREAM size limit exceeded. ERROR' and the like: raise clamd's StreamMaxLength.
        log.error("clamd could not scan an upload of %s bytes: %s", len(data), reply or "(no reply)")
        raise _unavailable()

    return scan


def scanner_from_config(config: Mapping[str, Any]) -> Callable[[bytes], None] | None:
    """A clamd scanner when `CLAMD_SOCKET` is set (timeout from `CLAMD_TIMEOUT`, default 10 s), else None."""
    socket_path = config.get("CLAMD_SOCKET")
    if not socket_path:
        return None
    return clamd_scanner(str(socket_path), float(config.get("CLAMD_TIMEOUT") or 10))
