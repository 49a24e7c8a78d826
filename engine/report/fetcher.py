"""A URL fetcher for WeasyPrint that can only read data: URIs and the report's own templates.

User text (client name, labels) is escaped before it reaches the HTML, so no
user-supplied URL should ever be requested. This fetcher is the second wall:
anything that is not a ``data:`` URI or a file inside ``report_templates/`` is
refused, and every request is recorded so tests can assert that rendering never
tried the network.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from engine.report import TEMPLATE_DIR

_MIME_BY_SUFFIX = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
}


class FetchRefused(ValueError):
    """Raised for any URL the report is not allowed to read (WeasyPrint logs and skips it)."""


class SafeFetcher(URLFetcher):
    """Serve data: URIs and files under ``root``; refuse and record everything else.

    Attributes
    ----------
    requests : list of str
        Every URL WeasyPrint asked for, in order (data: URIs shortened to their header).
    refused : list of str
        The URLs that were refused.
    """

    def __init__(self, root: Path | str = TEMPLATE_DIR):
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, timeout=1)
        self.root = Path(root).resolve()
        self.requests: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        self.requests.append(url.split(",", 1)[0] if url.startswith("data:") else url)
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self._local_path(url)
        if path is None:
            self.refused.append(url)
            raise FetchRefused(f"The report may only load data: URIs and files in {self.root}; refused {url!r}.")
        body = path.read_bytes()
        mime = _MIME_BY_SUFFIX.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(path.as_uri(), body, {"Content-Type": mime})

    def _local_path(self, url: str) -> Path | None:
        """The file a file: URL names, if it exists inside ``root``; otherwise None."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if not path.is_file() or not path.is_relative_to(self.root):
            return None
        return path

    @property
    def non_data_requests(self) -> list[str]:
        """Requests that were not data: URIs (allowed template files included)."""
        return [u for u in self.requests if not u.startswith("data:")]
