"""Hostile payloads and the checks that a rendered draft holds nothing active.

Shared by the security tests: the payloads an attacker (or a careless copy-paste) can put into
a kommun's own files, a loopback HTTP server that records every request, and parsers that
list what is active in an HTML draft and what is embedded in a DOCX draft.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import re
import threading
import zipfile
from html.parser import HTMLParser
from pathlib import Path


def payloads(port: int) -> dict[str, str]:
    """One payload of each kind; URL payloads point at the loopback server only."""
    return {
        "script": "<script>alert('s')</script>",
        "handler": "<img src=x onerror=alert('h')>",
        "svg": "<svg onload=alert('v')>",
        "iframe": "<iframe srcdoc=\"<script>alert('f')</script>\"></iframe>",
        "js_link_md": "[klick](javascript:alert('l'))",
        "js_link_html": "<a href=\"javascript:alert('a')\">a</a>",
        "local_file_md": "![x](/etc/hostname)",
        "local_file_html": "<img src=\"file:///etc/hostname\">",
        "remote_md": f"![r](http://127.0.0.1:{port}/md.png)",
        "remote_html": f"<img src=\"http://127.0.0.1:{port}/html.png\">",
        "autolink": f"<http://127.0.0.1:{port}/auto>",
        "mathtext": "$\\frac{$ kr",  # would break a figure label read as mathtext
    }


def combined(port: int, tag: str = "") -> str:
    """Every payload in one text (one field then carries all of them)."""
    return f"X{tag} " + " ".join(payloads(port).values())


@contextlib.contextmanager
def loopback_server():
    """An HTTP server on 127.0.0.1 (random port) that records request paths; yields
    ``(port, requests)``. Bounded: it answers 404 and stops with the block."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


_URL_ATTRS = {"href", "src", "srcdoc", "action", "formaction", "data", "poster", "background",
              "xlink:href", "srcset", "ping", "manifest", "codebase", "cite"}


class ActiveContent(HTMLParser):
    """Lists what could run or fetch in an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts = 0
        self.handlers: list[str] = []
        self.bad_urls: list[str] = []
        self.elements: list[str] = []
        self.csp: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        if tag in ("iframe", "frame", "object", "embed", "svg", "math", "form", "base",
                   "link", "applet", "portal"):
            self.elements.append(tag)
        if tag == "meta":
            d = dict(attrs)
            if (d.get("http-equiv") or "").lower() == "refresh":
                self.elements.append("meta refresh")
            if (d.get("http-equiv") or "").lower() == "content-security-policy":
                self.csp.append(d.get("content") or "")
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name in _URL_ATTRS and value is not None:
                v = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                if tag == "img" and name == "src" and v.startswith("data:image/png;"):
                    continue  # the report's own figures
                if name in ("src", "srcset", "data", "poster", "background", "srcdoc"):
                    self.bad_urls.append(f"{tag} {name}={value[:60]}")
                elif re.match(r"^(javascript|vbscript|data|file):", v):
                    self.bad_urls.append(f"{tag} {name}={value[:60]}")


def active_content(html: str) -> ActiveContent:
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    return parser


def docx_embedded(path: Path) -> tuple[list[bytes], list[str]]:
    """The media files of a DOCX and the targets of its external relationships."""
    media, external = [], []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("word/media/"):
                media.append(z.read(name))
            if name.endswith(".rels"):
                rels = z.read(name).decode("utf-8")
                external += re.findall(r'Target="([^"]*)"[^>]*TargetMode="External"', rels)
    return media, external


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
