"""A push service on loopback, the one stand-in allowed: it plays a browser vendor's push service.

It does what Chrome's, Firefox's and Safari's services do with a message: checks the sender's VAPID
signature (RFC 8292: an ES256 JWT whose `aud` is this service's origin, not expired, with a `sub`,
signed by the key in `k`), and, playing the subscribed browser, decrypts the aes128gcm payload
(RFC 8291) with the browser's private key and auth secret, then keeps what it read.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

_AUTHORIZATION = re.compile(r"^vapid\s+t=([^,\s]+)\s*,\s*k=([A-Za-z0-9_-]+)=*$", re.IGNORECASE)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A subscribed browser: its ECDH key pair and auth secret, as a browser makes them."""

    path: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    answer: int = 201  # 410: the subscription expired; 500: the service fails

    @property
    def p256dh(self) -> str:
        return b64url(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


class PushService:
    """The server, its browsers and what reached them (`received`) or was refused (`refused`)."""

    def __init__(self) -> None:
        self.browsers: dict[str, Browser] = {}
        self.received: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.vapid_public_key: str | None = None  # the key every signature must be made with
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, problem = service.handle(self.path, dict(self.headers), body)
                if problem:
                    service.refused.append(problem)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> PushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def browser(self, answer: int = 201) -> Browser:
        """A new subscribed browser; its subscription JSON is `subscription(browser)`."""
        browser = Browser(path=f"/push/{b64url(os.urandom(12))}", answer=answer)
        self.browsers[browser.path] = browser
        return browser

    def subscription(self, browser: Browser) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives in a browser."""
        return {
            "endpoint": self.origin + browser.path,
            "keys": {"p256dh": browser.p256dh, "auth": b64url(browser.auth)},
        }

    def for_browser(self, browser: Browser) -> list[dict[str, Any]]:
        return [item["message"] for item in self.received if item["path"] == browser.path]

    # ---- what a push service checks ---------------------------------------------------------
    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str | None]:
        browser = self.browsers.get(path)
        if browser is None:
            return 404, f"unknown subscription {path}"
        lower = {name.lower(): value for name, value in headers.items()}
        problem = self._check_vapid(lower.get("authorization", ""))
        if problem:
            return 401, problem
        if lower.get("content-encoding") != "aes128gcm" or not lower.get("ttl", "").isdigit():
            return 400, f"headers: {lower}"
        if browser.answer != 201:
            return browser.answer, None
        try:
            plain = http_ece.decrypt(
                body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
            )
            message = json.loads(plain)
        except Exception as exc:
            return 400, f"payload: {exc!r}"
        self.received.append({"path": path, "message": message, "ttl": int(lower["ttl"])})
        return 201, None

    def _check_vapid(self, authorization: str) -> str | None:
        match = _AUTHORIZATION.match(authorization.strip())
        if not match:
            return f"no VAPID authorization: {authorization!r}"
        token, key = match.groups()
        if self.vapid_public_key and key != self.vapid_public_key:
            return "signed with another key"
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(unb64url(header_b64))
            claims = json.loads(unb64url(claims_b64))
            signature = unb64url(signature_b64)
            if header.get("alg") != "ES256" or len(signature) != 64:
                return f"not ES256: {header}"
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "bad signature"
        except ValueError as exc:
            return f"unreadable token: {exc}"
        now = time.time()
        if claims.get("aud") != self.origin:
            return f"aud {claims.get('aud')!r} is not {self.origin}"
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 24 * 3600:
            return f"exp {claims.get('exp')!r} is not within 24 hours"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return f"sub {claims.get('sub')!r}"
        return None
