"""The Open Contracting Partnership's own tools (libcoveocds, ocdskit, via ocdsextensionregistry)
run offline on the files vendored in tests/data (see the SOURCE.md files there).

Those tools download the standard (a ZIP of open-contracting/standard at the release's tag)
and each declared extension (a ZIP of its repository at the declared ref) over HTTP. `offline()`
answers those requests from tests/data instead, refuses any other URL, and refuses to open a
socket at all, so a check that passes here never needed the network.
"""

import contextlib
import io
import json
import socket
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

DATA = Path(__file__).parent / "data"
STANDARD = DATA / "ocds-standard-1__1__5"
STANDARD_ZIP_URL = "https://codeload.github.com/open-contracting/standard/zip/1__1__5"
# Where the standard publishes the same schema files (the packages' schemas refer to these).
STANDARD_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/"
EXTENSIONS = DATA / "ocds-extensions"
# The folder under tests/data/ocds-extensions of each extension the app declares (by the URL of
# its extension.json, as published in the packages).
EXTENSION_FOLDERS = {
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json": "bids",
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_partyDetails_scale_extension/master/extension.json": "partyScale",
}


def _zip(folder: Path, top: str) -> bytes:
    """A ZIP like GitHub's archives: every file under one top-level folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{top}/", "")
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SOURCE.md"):
            archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def standard_zip() -> bytes:
    """The standard's `schema/` folder at 1__1__5, zipped as codeload.github.com serves it."""
    return _zip(STANDARD, "standard-1__1__5")


def _routes() -> dict[str, bytes]:
    routes = {STANDARD_ZIP_URL: standard_zip()}
    for path in (STANDARD / "schema").glob("*.json"):
        routes[STANDARD_SCHEMA_URL + path.name] = path.read_bytes()
    # ocdskit picks the latest patch of the data's version from this listing of the standard's
    # tags; the real one lists every tag, of which 1__1__5 is the latest 1.1 (the vendored one).
    routes["https://standard.open-contracting.org/schema/"] = b'<a href="1__1__5/">1__1__5/</a>'
    for url, name in EXTENSION_FOLDERS.items():
        folder = EXTENSIONS / name
        base = url.removesuffix("extension.json")
        for path in folder.rglob("*"):
            if path.is_file() and path.name != "SOURCE.md":
                routes[base + path.relative_to(folder).as_posix()] = path.read_bytes()
        # The download URL ocdsextensionregistry derives from a raw one:
        # raw.githubusercontent.com/O/R/REF/ -> github.com/O/R/archive/REF.zip
        owner, repo, ref = urlsplit(base).path.strip("/").split("/")[:3]
        routes[f"https://github.com/{owner}/{repo}/archive/{ref}.zip"] = _zip(
            folder, f"{repo}-{ref}"
        )
    return routes


class VendoredFiles(BaseAdapter):
    """A requests transport that serves the vendored files and refuses everything else."""

    def __init__(self):
        super().__init__()
        self.routes = _routes()
        self.served: list[str] = []

    def send(self, request, **kwargs):
        if request.url not in self.routes:
            raise requests.ConnectionError(f"offline: no vendored file for {request.url}")
        self.served.append(request.url)
        response = requests.Response()
        response.status_code = 200
        response.reason = "OK"
        response.url = request.url
        response.request = request
        response._content = self.routes[request.url]
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


def _no_sockets(*args, **kwargs):
    raise OSError("offline: the OCP tools must not open a network connection")


@contextlib.contextmanager
def offline(monkeypatch):
    """Within the block, ocdsextensionregistry (and so libcoveocds and ocdskit) read the vendored
    files, and no socket can connect. Yields the adapter (its `served` lists what was asked)."""
    import ocdsextensionregistry.extension_version
    import ocdsextensionregistry.util

    adapter = VendoredFiles()
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    with monkeypatch.context() as patch:
        patch.setattr(ocdsextensionregistry.util, "session", session)
        patch.setattr(ocdsextensionregistry.extension_version, "session", session)
        patch.setattr(requests, "get", session.get)
        patch.setattr(socket.socket, "connect", _no_sockets)
        patch.setattr(socket, "create_connection", _no_sockets)
        yield adapter
    session.close()


def patched_release_schema(extensions: list[str]) -> dict:
    """The release schema patched with `extensions`, as the OCP tools build it (offline)."""
    from ocdsextensionregistry import ProfileBuilder

    builder = ProfileBuilder("1__1__5", extensions, standard_base_url=standard_zip())
    return json.loads(json.dumps(builder.patched_release_schema()))


def write_runtime_schema() -> Path:
    """Rebuild the app's vendored release schema (govtech/transparency/ocds_schema) from the
    vendored standard and extensions."""
    import pytest

    from govtech.transparency import ocds

    with pytest.MonkeyPatch.context() as monkeypatch, offline(monkeypatch):
        schema = patched_release_schema(list(ocds.EXTENSIONS))
    text = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    ocds.RELEASE_SCHEMA.write_text(text, encoding="utf-8")
    return ocds.RELEASE_SCHEMA


if __name__ == "__main__":
    print(write_runtime_schema())
