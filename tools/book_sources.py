"""What the book's source files declare, read one way for the tools and the tests.

- :func:`toc_pages`: the pages of ``_toc.yml``, in the book's order;
- :func:`glossary_entries`: the glossary's entries, each with its names (English and Chinese)
  and its definition;
- :func:`terminology`: ``locales/<language>/TERMINOLOGY.md``'s table, the names a translation
  uses, may use in parentheses, and must not use.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_pages():
    """``["intro", "chapters/01_pixels", ...]``: every page of ``_toc.yml``, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]


def glossary_entries():
    """``[(names, definition)]`` of the glossary, in its order."""
    block = (ROOT / "glossary.md").read_text(encoding="utf-8").split("```{glossary}")[1].split("```")[0]
    entries = []
    for line in block.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            if not entries or entries[-1][1]:
                entries.append(([], ""))
            entries[-1][0].append(line.strip())
        else:
            entries[-1] = (entries[-1][0], f"{entries[-1][1]} {line.strip()}")
    return entries


@dataclass(frozen=True)
class Term:
    english: str
    name: str                   # the book's name, as the table writes it (may hold a gloss)
    parenthetical: frozenset    # names allowed only inside （…） after the book's
    avoid: frozenset            # names never to use


def _names(cell):
    return frozenset(n.strip() for n in re.split(r"[,，、]", cell) if n.strip())


def terminology(language="zh_CN"):
    """The rows of ``locales/<language>/TERMINOLOGY.md``'s table, as :class:`Term`."""
    rows = []
    for line in (ROOT / "locales" / language / "TERMINOLOGY.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[0] != "English" and not cells[0].startswith("---"):
            rows.append(Term(cells[0], cells[1], _names(cells[2]), _names(cells[3])))
    return rows
