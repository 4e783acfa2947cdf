#!/usr/bin/env python3
"""Check the translation catalogues: every marked string is in each catalogue, translated,
not fuzzy, and the compiled .mo holds the same translations as the .po.

Runs `makemessages` on a copy of the source (needs GNU gettext), so nothing in the tree changes.
"""

from __future__ import annotations

import functools
import gettext
import operator
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "mhis"
# Every catalogue under locale/ must be complete (English is the source).
LANGUAGES = sorted(p.name for p in (PACKAGE / "locale").iterdir() if p.is_dir())


def _unquote(line: str) -> str:
    return (
        line[line.index('"') + 1 : line.rindex('"')]
        .encode("raw_unicode_escape")
        .decode("unicode_escape")
    )


def parse_po(path: Path) -> dict[tuple[str | None, str], dict]:
    """Entries keyed by (context, msgid): {'str': [msgstr…], 'fuzzy': bool}."""
    entries: dict[tuple[str | None, str], dict] = {}
    current: dict = {}
    field = None

    def finish():
        if current.get("msgid"):
            key = (current.get("msgctxt"), current["msgid"])
            entries[key] = {
                "str": current.get("msgstr", []),
                "fuzzy": current.get("fuzzy", False),
                "plural": current.get("msgid_plural"),
            }

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            finish()
            current, field = {}, None
        elif line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            field, current["msgctxt"] = "msgctxt", _unquote(line)
        elif line.startswith("msgid_plural "):
            field, current["msgid_plural"] = "msgid_plural", _unquote(line)
        elif line.startswith("msgid "):
            field, current["msgid"] = "msgid", _unquote(line)
        elif line.startswith("msgstr"):
            field = "msgstr"
            current.setdefault("msgstr", []).append(_unquote(line))
        elif line.startswith('"') and field:
            if field == "msgstr":
                current["msgstr"][-1] += _unquote(line)
            else:
                current[field] += _unquote(line)
    return entries


def main() -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "mhis"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        env = dict(os.environ, MHIS_DEBUG="1", MHIS_VAR_DIR=tmp, DATABASE_URL="")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "mhis.cli",
                "makemessages",
                *functools.reduce(operator.iadd, (["-l", lang] for lang in LANGUAGES), []),
                "--no-location",
                "--no-obsolete",
                "-v0",
            ],
            cwd=copy,
            env=env,
            check=True,
        )
        for lang in LANGUAGES:
            fresh = parse_po(copy / "locale" / lang / "LC_MESSAGES" / "django.po")
            po_path = PACKAGE / "locale" / lang / "LC_MESSAGES" / "django.po"
            committed = parse_po(po_path) if po_path.exists() else {}
            header = po_path.read_text(encoding="utf-8") if po_path.exists() else ""
            nplurals = (
                int(header.split("nplurals=", 1)[1].split(";", 1)[0])
                if "nplurals=" in header
                else 2
            )
            for key in sorted(set(fresh) - set(committed), key=str):
                problems.append(f"{lang}: not in the catalogue (run `make messages`): {key[1]!r}")
            for key, entry in committed.items():
                if key not in fresh:
                    continue
                if entry["fuzzy"]:
                    problems.append(f"{lang}: fuzzy translation: {key[1]!r}")
                if not entry["str"] or any(not s for s in entry["str"]):
                    problems.append(f"{lang}: untranslated: {key[1]!r}")
                elif entry["plural"] is not None and len(entry["str"]) != nplurals:
                    problems.append(
                        f"{lang}: {len(entry['str'])} plural forms of {nplurals}: {key[1]!r}"
                    )
            mo_path = po_path.with_suffix(".mo")
            if not mo_path.exists():
                problems.append(f"{lang}: {mo_path} is missing (run `make messages`)")
                continue
            with mo_path.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
            for (context, msgid), entry in committed.items():
                if entry["fuzzy"] or not entry["str"]:
                    continue
                key = msgid if context is None else f"{context}\x04{msgid}"
                compiled = catalog.get(key) if entry["plural"] is None else catalog.get((key, 0))
                if compiled != entry["str"][0]:
                    problems.append(
                        f"{lang}: {mo_path.name} is out of date for {msgid!r} (run `make messages`)"
                    )
    for problem in problems:
        print(problem)
    print(f"translation catalogues: {len(problems)} problem(s) in {', '.join(LANGUAGES)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
