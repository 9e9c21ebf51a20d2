"""Every user-facing string is extracted and translated into Spanish and Portuguese."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("es", "pt_BR")


def _catalogue(language):
    with open(ROOT / f"govtech/translations/{language}/LC_MESSAGES/messages.po", "rb") as f:
        return read_po(f)


def test_catalogues_cover_every_string_in_the_code(tmp_path):
    pot = tmp_path / "fresh.pot"
    subprocess.run(  # noqa: S603 (fixed arguments, our own tool)
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            # Babel skips folders named "_*" by default: templates/_macros holds strings too.
            "--ignore-dirs",
            ".*",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as f:
        in_code = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert len(in_code) > 500  # the extraction really ran over the code and templates
    for language in LANGUAGES:
        catalogued = {
            m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(language) if m.id
        }
        missing = sorted(in_code - catalogued)
        assert missing == [], f"run `make messages` and translate ({language}): {missing[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    untranslated = [
        m.id
        for m in _catalogue(language)
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert untranslated == []


def test_pages_render_translated(client):
    spanish = client.get("/challenges/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    portuguese = client.get("/challenges/", headers={"Accept-Language": "pt-BR"}).get_data(
        as_text=True
    )
    assert "Desafíos" in spanish
    assert "Desafios" in portuguese
    assert "Problems public agencies want solved" not in spanish + portuguese
