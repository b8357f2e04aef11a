"""The Indonesian catalog: complete, compiled, and used by the pages.

The commands are the ones in README.md's "Translations" section.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from donate.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "donate" / "translations"
PO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.mo"


def pybabel(*args: str) -> None:
    """Run ``pybabel`` with this interpreter, from the project root."""
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def load_po(path: Path):
    with open(path, "rb") as fh:
        return read_po(fh, locale="id")


def load_mo(path: Path) -> dict:
    with open(path, "rb") as fh:
        catalog = read_mo(fh)
    return {"plural_forms": catalog.plural_forms,
            # A plural entry's id and strings come as lists.
            "messages": {(m.context, _hashable(m.id)): _hashable(m.string) for m in catalog if m.id}}


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def test_catalog_translates_every_message_in_the_sources(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel("extract", "-F", "babel.cfg", "-k", "lazy_gettext", "-o", str(pot), ".")
    with open(pot, "rb") as fh:
        wanted = {(m.context, m.id) for m in read_po(fh) if m.id}
    assert wanted, "no messages extracted: is babel.cfg right?"

    catalog = load_po(PO)
    assert not catalog.fuzzy, "the catalog header is marked fuzzy: pybabel compile would skip it"
    translated = {(m.context, m.id): m for m in catalog if m.id}
    missing = sorted(str(key[1]) for key in wanted - translated.keys())
    assert missing == [], "msgids missing from messages.po (run pybabel extract and update)"
    fuzzy = sorted(str(m.id) for m in translated.values() if m.fuzzy)
    assert fuzzy == [], "fuzzy entries in messages.po (check them and remove the flag)"
    empty = sorted(str(m.id) for m in translated.values()
                   if not (all(m.string) if isinstance(m.string, (list, tuple)) else m.string))
    assert empty == [], "untranslated entries in messages.po"
    # Placeholders such as %(target)s must survive translation, or the page fails to render.
    problems = [(str(m.id), [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_committed_mo_matches_po(tmp_path):
    compiled = tmp_path / "messages.mo"
    pybabel("compile", "-l", "id", "-i", str(PO), "-o", str(compiled))
    assert MO.exists(), "messages.mo is missing (run pybabel compile)"
    assert load_mo(MO) == load_mo(compiled), "messages.mo is stale (run pybabel compile)"


def fetch(app, client, url: str) -> str:
    """GET ``url`` in its own app context, as in production.

    The ``app`` fixture keeps one app context open for the whole test, so requests
    would otherwise share ``g``, where Flask-Babel caches the chosen locale.
    """
    with app.app_context():
        response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_pages_speak_indonesian_by_default_and_english_on_request(app, client, make):
    make.campaign("ojek-pekanbaru", name="Ojek Pekanbaru", target_workers=500)
    db.session.commit()
    url = "/campaigns/ojek-pekanbaru"

    html = fetch(app, client, url)
    assert '<html lang="id">' in html
    assert "Pekerja didanai" in html and "pekerja" in html
    assert "Workers funded" not in html

    html = fetch(app, client, url + "?lang=en")
    assert '<html lang="en">' in html
    assert "Workers funded" in html
    assert "pekerja" not in html.lower()

    # Remembered in the session: no parameter, still English.
    html = fetch(app, client, url)
    assert '<html lang="en">' in html and "Workers funded" in html

    # And back to Indonesian on request, remembered too.
    assert "Pekerja didanai" in fetch(app, client, url + "?lang=id")
    html = fetch(app, client, url)
    assert '<html lang="id">' in html and "Pekerja didanai" in html


@pytest.mark.parametrize("lang", ["xx", ""])
def test_unknown_language_falls_back_to_indonesian(app, client, make, lang):
    make.campaign("nelayan", target_workers=10)
    db.session.commit()
    html = fetch(app, client, f"/campaigns/nelayan?lang={lang}")
    assert '<html lang="id">' in html and "Pekerja didanai" in html
