"""Every page and message goes through translation (en, ru, es): the catalogues hold every
string the code and templates mark, each one translated, and the compiled .mo files match."""

from __future__ import annotations

import gettext
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "hostkeep"
LANGUAGES = ("ru", "es")
ESCAPE = re.compile(r"\\(.)")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True)
class Entry:
    context: str
    msgid: str
    plural: str
    translations: tuple[str, ...]
    fuzzy: bool


def _unquote(line: str) -> str:
    body = line.strip()
    if not (body.startswith('"') and body.endswith('"')):
        raise ValueError(f"not a quoted string: {line!r}")
    return ESCAPE.sub(lambda match: ESCAPES.get(match.group(1), match.group(1)), body[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """A small reader of the gettext catalogue format (what makemessages writes)."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    current = ""
    fuzzy = False

    def flush() -> None:
        nonlocal fields, fuzzy
        if "msgid" in fields:
            translations = tuple(value for key, value in sorted(fields.items()) if key.startswith("msgstr"))
            entries.append(
                Entry(fields.get("msgctxt", ""), fields["msgid"], fields.get("msgid_plural", ""), translations, fuzzy)
            )
        fields, fuzzy = {}, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            fields[current] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and "msgid" in fields:
            flush()
        current = keyword
        fields[current] = _unquote(rest)
    flush()
    return [entry for entry in entries if entry.msgid]  # the header has an empty msgid


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language):
    entries = parse_po(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po")
    untranslated = [entry.msgid for entry in entries if entry.fuzzy or not all(entry.translations)]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_source(language):
    folder = PACKAGE / "locale" / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in parse_po(folder / "django.po"):
        if entry.plural:
            continue
        key = f"{entry.context}\x04{entry.msgid}" if entry.context else entry.msgid
        if compiled._catalog.get(key) != entry.translations[0]:  # type: ignore[attr-defined]
            stale.append(entry.msgid)
    assert stale == [], "run: hostkeep compilemessages (from src/hostkeep)"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext (Debian: gettext)")
def test_the_catalogues_hold_every_marked_string(tmp_path, monkeypatch):
    copy = tmp_path / "hostkeep"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests", "simulator"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["ru"], verbosity=0, no_obsolete=True)
    extracted = {
        (entry.context, entry.msgid) for entry in parse_po(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po")
    }
    for language in LANGUAGES:
        committed = {
            (entry.context, entry.msgid)
            for entry in parse_po(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po")
            if not entry.fuzzy
        }
        missing = sorted(msgid for _, msgid in extracted - committed)
        assert missing == [], f"{language}: run makemessages -l {language} and translate"
