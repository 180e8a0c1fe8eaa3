"""Storage providers through PyFilesystem2: configured by URL, written with failover."""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

with warnings.catch_warnings():
    # fs 2.4.16 imports pkg_resources (setuptools is pinned below 81 for it); the warning is noise.
    warnings.simplefilter("ignore", UserWarning)
    import fs
    from fs.base import FS
    from fs.errors import ResourceNotFound
    from fs.path import dirname

from flask_babel import lazy_gettext as _l

from app.core.errors import AppError

__all__ = ["Provider", "ResourceNotFound", "Storage", "StorageUnavailable", "configured_providers"]
log = logging.getLogger(__name__)
S3_HOST_CODES = {"r2.cloudflarestorage.com": "r2", "backblazeb2.com": "b2", "amazonaws.com": "s3"}


class StorageUnavailable(AppError):
    """No configured provider accepted the write (503)."""

    status_code = 503
    default_message = _l("File storage is temporarily unavailable. Please try again later.")


@dataclass(frozen=True)
class Provider:
    """One configured provider: its `storage_providers` lookup code and its URL."""

    code: str
    url: str
    role: str

    @property
    def is_s3(self) -> bool:
        """S3 and every S3-compatible service."""
        return self.url.startswith("s3://")

    @property
    def safe_url(self) -> str:
        """The URL without credentials, fit for logs and the lookup's metadata."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("key", "secret")]
        return urlunsplit((parts.scheme, host, parts.path, urlencode(query), ""))


def provider_code(url: str) -> str:
    """The lookup code for a URL: `?provider=` when given, else guessed from scheme and host."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    if params.get("provider"):
        return params["provider"]
    if parts.scheme in ("osfs", "file"):
        return "local"
    if parts.scheme == "s3":
        endpoint = params.get("endpoint_url", "")
        if not endpoint:
            return "s3"
        host = urlsplit(endpoint).hostname or ""
        for suffix, code in S3_HOST_CODES.items():
            if host.endswith(suffix):
                return code
        return "custom"
    raise ValueError(f"Unsupported storage URL scheme: {parts.scheme}")


def configured_providers(config: Mapping[str, Any]) -> list[Provider]:
    """The primary provider, then the failover ones, each code at most once."""
    urls = [config["STORAGE_URL"], *config.get("STORAGE_FAILOVER_URLS", [])]
    providers: list[Provider] = []
    for index, url in enumerate(urls):
        code = provider_code(url)
        if any(p.code == code for p in providers):
            raise ValueError(f"Two storage URLs map to provider '{code}': add ?provider=<code> to one")
        providers.append(Provider(code, url, "primary" if index == 0 else "failover"))
    return providers


def _fs_url(url: str) -> str:
    """The URL PyFilesystem opens: our `provider` parameter removed, S3 non-strict by default."""
    base, _, query = url.partition("?")
    params = [(k, v) for k, v in parse_qsl(query) if k != "provider"]
    if base.startswith("s3://") and not any(k == "strict" for k, _ in params):
        # fs-s3fs in strict mode cannot read objects written without directory markers.
        params.append(("strict", "0"))
    return f"{base}?{urlencode(params)}" if params else base


_filesystems: dict[str, FS] = {}
_lock = threading.Lock()


def open_provider(provider: Provider) -> FS:
    """The provider's filesystem, opened once per process (local folders are created)."""
    with _lock:
        filesystem = _filesystems.get(provider.url)
        if filesystem is None:
            filesystem = fs.open_fs(_fs_url(provider.url), create=provider.url.startswith("osfs://"))
            _filesystems[provider.url] = filesystem
        return filesystem


def forget_filesystems() -> None:
    """Close and forget the opened filesystems (configuration changed, tests)."""
    with _lock:
        for filesystem in _filesystems.values():
            with contextlib.suppress(Exception):  # a broken provider must not block the change
                filesystem.close()
        _filesystems.clear()


class Storage:
    """The providers of one configuration: write with failover, read from the named provider."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.providers = configured_providers(config)

    def provider(self, code: str) -> Provider:
        """The configured provider with this code."""
        for provider in self.providers:
            if provider.code == code:
                return provider
        raise StorageUnavailable(f"Storage provider '{code}' is not configured on this server.")

    def write(self, path: str, data: bytes) -> Provider:
        """Store bytes on the first provider that accepts them; returns that provider."""
        for provider in self.providers:
            try:
                filesystem = open_provider(provider)
                filesystem.makedirs(dirname(path) or "/", recreate=True)
                filesystem.writebytes(path, data)
                return provider
            except Exception as exc:
                log.warning(
                    "Storage write to %s failed (%s): trying the next provider", provider.safe_url, exc
                )
                with _lock:
                    _filesystems.pop(provider.url, None)
        raise StorageUnavailable()

    def open(self, code: str, path: str) -> IO[bytes]:
        """A binary stream of a stored file."""
        return open_provider(self.provider(code)).openbin(path, "r")

    def read(self, code: str, path: str) -> bytes:
        """A stored file's bytes."""
        return open_provider(self.provider(code)).readbytes(path)

    def delete(self, code: str, path: str) -> bool:
        """Remove a stored file; False when it was already gone."""
        filesystem = open_provider(self.provider(code))
        if not filesystem.exists(path):
            return False
        filesystem.remove(path)
        return True

    def presigned_get(
        self, code: str, path: str, *, filename: str, mime_type: str, inline: bool, seconds: int
    ) -> str | None:
        """A short-lived direct URL on S3 providers (None elsewhere)."""
        provider = self.provider(code)
        if not provider.is_s3:
            return None
        filesystem: Any = open_provider(provider)
        disposition = "inline" if inline else "attachment"
        return filesystem.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": filesystem._bucket_name,
                "Key": filesystem._path_to_key(path),
                "ResponseContentType": mime_type,
                "ResponseContentDisposition": content_disposition(disposition, filename),
            },
            ExpiresIn=seconds,
        )

    def presigned_put(self, path: str, *, mime_type: str, seconds: int) -> tuple[Provider, str] | None:
        """A direct-upload URL on the primary provider when it is S3 (None elsewhere)."""
        provider = self.providers[0]
        if not provider.is_s3:
            return None
        filesystem: Any = open_provider(provider)
        url = filesystem.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": filesystem._bucket_name,
                "Key": filesystem._path_to_key(path),
                "ContentType": mime_type,
            },
            ExpiresIn=seconds,
        )
        return provider, url


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266 header value with an ASCII fallback and the UTF-8 name (Arabic names survive)."""
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "download"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
