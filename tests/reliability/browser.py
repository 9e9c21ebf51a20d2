"""A visitor speaking plain HTTP to the server: its own cookies, its own client address."""

import http.client
import re
import threading
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie

# What a client sees when the worker serving it dies mid-request.
CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, TimeoutError)

_INPUT = re.compile(r"<input\b[^>]*>")
_ATTRIBUTE = re.compile(r'\b(name|value)="([^"]*)"')


@dataclass
class Response:
    status: int
    location: str  # the redirect's path, "" when not a redirect
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def hidden_value(html: str, name: str) -> str:
    """The value of the form input called `name` (e.g. the CSRF token)."""
    for tag in _INPUT.findall(html):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get("name") == name:
            return attributes.get("value", "")
    raise AssertionError(f"no input named {name!r} in the page")


class Browser:
    """One person's browser. The server trusts one proxy, so each visitor has its own address
    (X-Forwarded-For) and the rate limits stay on as in production."""

    def __init__(self, port: int, address: str):
        self.port = port
        self.address = address
        self.cookies: dict[str, str] = {}
        self._lock = threading.Lock()  # tabs of one browser share its cookies

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        """Send one request on a new connection; redirects are returned, not followed."""
        with self._lock:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = {
            "Accept-Language": "en",
            "X-Forwarded-For": self.address,
            "Connection": "close",
        }
        if cookie:
            headers["Cookie"] = cookie
        payload = None
        if form is not None:
            payload = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=payload, headers=headers)
            raw = connection.getresponse()
            body = raw.read()
        finally:
            connection.close()
        with self._lock:
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
        location = urllib.parse.urlsplit(raw.headers.get("Location", "")).path
        return Response(raw.status, location, body)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Response:
        return self.request("POST", path, form)

    def form_token(self, path: str) -> str:
        """Open a page and return the CSRF token of its forms."""
        page = self.get(path)
        assert page.status == 200, (path, page.status, page.text[:300])
        return hidden_value(page.text, "csrf_token")

    def login(self, email: str, password: str, then: str | None = None) -> str:
        """Sign in through the real login form, then open `then` (else the page it redirects
        to) as a browser would; return that page's CSRF token, now fixed in the session."""
        token = self.form_token("/accounts/login")
        response = self.post(
            "/accounts/login", {"csrf_token": token, "email": email, "password": password}
        )
        assert response.status == 302, (email, response.status, response.text[:300])
        return self.form_token(then or response.location)
