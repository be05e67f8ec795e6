"""The Chinese edition's catalogs: complete, well formed, and in the book's terminology.

`locales/zh_CN/LC_MESSAGES/<page>.po` holds one page's messages (English msgid, Chinese
msgstr). Sphinx shows the English wherever a message is untranslated or fuzzy, without a
warning, and builds a page from a msgstr whose markup a translator broke (a role whose
backticks became full-width, a glued value's key changed) with raw text or an empty number.
So, for every catalog:

- ``msgfmt --check`` accepts it, and counts no fuzzy and no untranslated message (the
  interface's catalogs, `_ext/locales/`, too);
- every piece of markup of a msgid is in its msgstr, intact: glue roles exactly, the
  targets of `{doc}`, `{ref}`, `{numref}`, `{cite}` roles, the glossary entry of each `{term}`
  (by any of its names), code spans, math, link and image targets; no role is left without
  its backticks;
- no msgstr uses a name `locales/zh_CN/TERMINOLOGY.md` marks as wrong (不用), and the names it
  allows only in parentheses (括注) appear only there.

And across the catalogs, one English message has one translation: a lab's title reads the same
in the labs' table and on the lab's page.

A problem is reported as ``file:line: what``. The catalogs' freshness against the English
source needs a gettext build: `tests/browser/test_generated.py` checks it after the book's.
"""

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tools.book_sources import glossary_entries
from tools.book_sources import terminology as book_terminology
from tools.translations import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
CATALOGS = sorted((LOCALES / "zh_CN" / "LC_MESSAGES").rglob("*.po"))
NAMES = [p.relative_to(LOCALES).as_posix() for p in CATALOGS]
# The interface's catalogs (_ext/book_messages.py): the book's own messages, the themes' and Sphinx's.
INTERFACE_CATALOGS = sorted((ROOT / "_ext" / "locales").rglob("*.po"))

# A message read left to right: roles, code spans and math are tokens (a role's backticks are
# not a code span; braces inside math are not roles); the rest is prose.
TOKEN = re.compile(r"(?P<role>\{(?P<name>[a-z][\w:-]*)\}`(?P<content>[^`]*)`)"
                   r"|(?P<code>(?P<ticks>`+)(?P<body>.+?)(?P=ticks))"
                   r"|(?P<math>\$\$?[^$]+?\$\$?)")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
TARGETED = {"doc", "ref", "numref", "cite", "cite:p", "cite:t", "eq", "download"}


# {name: entry number} for every name, English or Chinese, of every glossary entry
GLOSSARY = {name: number for number, (names, _) in enumerate(glossary_entries()) for name in names}


def role_target(content):
    """`text <target>` -> target; a plain content is its own target."""
    found = re.search(r"<([^<>]+)>\s*$", content)
    return (found.group(1) if found else content).strip()


def markup(text):
    """What of a message's markup must survive translation, as comparable multisets."""
    tokens = list(TOKEN.finditer(text))
    roles = [(m["name"], m["content"]) for m in tokens if m["role"]]
    return {
        "glue": Counter(f"{name}`{content}`" for name, content in roles if name.startswith("glue")),
        "references": Counter(f"{name}:{role_target(content)}" for name, content in roles if name in TARGETED),
        "terms": Counter(GLOSSARY.get(role_target(content), f"?{role_target(content)}")
                         for name, content in roles if name == "term"),
        "code": {m["body"] for m in tokens if m["code"]},
        "math": {m["math"] for m in tokens if m["math"]},
        # A Chinese page's Colab and Binder links may open the Chinese reader notebook.
        "link targets": {t.replace("notebooks/zh_CN/", "notebooks/") for t in LINK_TARGET.findall(text)},
    }


def broken_markup(msgstr, msgid=""):
    """Roles a translation broke: a role name without its backtick, full-width role syntax,
    a backtick left over."""
    prose = TOKEN.sub(" ", msgstr)
    problems = [f"role {m.group(0)!r} has no backtick after it" for m in re.finditer(r"\{[a-z][\w:-]*\}", prose)]
    problems += [f"full-width role syntax {m.group(0)!r}" for m in re.finditer(r"[｛｝｀]", msgstr)]
    if "`" in prose:
        problems.append("a backtick outside any role or code span")
    if re.match(r"\d+[.)]\s", msgstr) and msgstr != msgid:
        problems.append("starts with a number and a dot, which Markdown reads as a list (Sphinx then "
                        "shows the English): write 1\\. instead of 1.")
    return problems


def is_display_math(message_id):
    """A ``$$`` block's message is its TeX alone, starting with a newline: it stays as it is."""
    return message_id.startswith("\n")


def lint(path):
    """``["file:line: problem", ...]`` for one catalog."""
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    problems = []
    with path.open("rb") as source:
        catalog = read_po(source)
    term_lines = set(GLOSSARY) if path.name == "glossary.po" else set()
    for message in catalog:
        if not message.id or message.id in term_lines:
            continue
        where = f"{name}:{message.lineno}"
        if not message.string:
            problems.append(f"{where}: untranslated: {message.id[:60]!r}")
            continue
        if message.fuzzy:
            problems.append(f"{where}: fuzzy (the English changed): review and remove the flag")
        if is_display_math(message.id):
            if message.string != message.id:
                problems.append(f"{where}: a display formula must stay as it is")
            continue
        problems += [f"{where}: {problem}" for problem in broken_markup(message.string, message.id)]
        ours, theirs = markup(message.id), markup(message.string)
        for kind, expected in ours.items():
            if theirs[kind] != expected:
                missing = (expected - theirs[kind]) if isinstance(expected, Counter) else expected - theirs[kind]
                extra = (theirs[kind] - expected) if isinstance(expected, Counter) else theirs[kind] - expected
                problems.append(f"{where}: {kind} differ from the English: missing {sorted(missing)}, "
                                f"added {sorted(extra)}")
    return problems


def terminology():
    """(names never to use, names allowed only in parentheses), from TERMINOLOGY.md's table."""
    rows = book_terminology("zh_CN")
    return set().union(*(t.avoid for t in rows)), set().union(*(t.parenthetical for t in rows))


def wrong_terms(msgstr, avoid, parenthetical):
    outside_parentheses = re.sub(r"（[^（）]*）", "", msgstr)
    return sorted({n for n in avoid if n in msgstr} | {n for n in parenthetical if n in outside_parentheses})


def test_there_is_a_catalog_per_page():
    assert len(CATALOGS) >= 17, NAMES


@pytest.mark.parametrize("path", CATALOGS + INTERFACE_CATALOGS,
                         ids=NAMES + [p.relative_to(ROOT).as_posix() for p in INTERFACE_CATALOGS])
def test_msgfmt_accepts_the_catalog_and_finds_it_complete(path):
    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt (GNU gettext) is not installed; the lint below counts the messages too")
    run = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(path)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "fuzzy" not in run.stderr and "untranslated" not in run.stderr, run.stderr.strip()


@pytest.mark.parametrize("path", CATALOGS, ids=NAMES)
def test_every_message_is_translated_with_its_markup_intact(path):
    problems = lint(path)
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("path", CATALOGS, ids=NAMES)
def test_the_catalog_uses_the_books_terminology(path):
    if path.name == "glossary.po":
        return  # the glossary explains the other names
    avoid, parenthetical = terminology()
    with path.open("rb") as source:
        catalog = read_po(source)
    wrong = [f"{path.relative_to(ROOT)}:{m.lineno}: {wrong_terms(m.string, avoid, parenthetical)}"
             for m in catalog if m.id and m.string and wrong_terms(m.string, avoid, parenthetical)]
    assert not wrong, "names TERMINOLOGY.md rules out (or allows only in parentheses):\n" + "\n".join(wrong)


def differing_translations(catalogs):
    """``["msgid: file:line 'msgstr', ..."]`` for each English message that two catalogs
    translate differently: a lab's title in labs/README and on its own page, a heading that
    every lab shares."""
    seen = {}  # msgid -> {msgstr: first "file:line" that uses it}
    for path in catalogs:
        with path.open("rb") as source:
            for message in read_po(source):
                if message.id and message.string:
                    where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{message.lineno}"
                    seen.setdefault(message.id, {}).setdefault(message.string, where)
    return [f"{msgid[:60]!r}: " + "; ".join(f"{where} {msgstr[:40]!r}" for msgstr, where in versions.items())
            for msgid, versions in seen.items() if len(versions) > 1]


def test_one_english_message_has_one_translation_across_the_book():
    differing = differing_translations(CATALOGS)
    assert not differing, ("the same English translated differently (a reader sees both); "
                           "choose one:\n" + "\n".join(differing))


def test_the_terminology_table_has_both_kinds_of_rule():
    avoid, parenthetical = terminology()
    assert {"滤镜", "步长"} <= avoid and {"池化", "特征图"} <= parenthetical
    assert wrong_terms("卷积核又叫滤镜；最大池化", avoid, parenthetical) == ["最大池化", "池化", "滤镜"]
    assert wrong_terms("最大汇聚（最大池化）", avoid, parenthetical) == []


BROKEN_CATALOG = r'''msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\n"

msgid "There are {glue:text}`01_pixels.ipynb::n_train:,` images of {term}`pixel` values, see {doc}`intro`."
msgstr "共有 {glue:text}`01_pixels.ipynb::n_test:,` 张图像，由｛term｝`像素`组成，见 {doc}intro。"

msgid "The `uint8` dtype and $x_1$."
msgstr "数据类型 `int8` 和 $x_2$。"

#, fuzzy
msgid "A stride."
msgstr "步长。"

msgid "Untranslated."
msgstr ""

msgid "1. The geometry"
msgstr "1. 几何"
'''


def test_the_lint_reports_each_broken_entry_with_its_file_and_line(tmp_path):
    path = tmp_path / "locales" / "zh_CN" / "LC_MESSAGES" / "page.po"
    path.parent.mkdir(parents=True)
    path.write_text(BROKEN_CATALOG, encoding="utf-8")
    problems = "\n".join(lint(path)).replace(str(tmp_path) + "/", "")
    for expected in ["page.po:5: role '{doc}' has no backtick", "page.po:5: full-width role syntax",
                     "page.po:5: glue differ", "n_train", "page.po:5: references differ",
                     "page.po:5: terms differ", "page.po:8: code differ", "page.po:8: math differ",
                     "page.po:12: fuzzy", "page.po:15: untranslated", "page.po:18: starts with a number"]:
        assert expected in problems, problems
    avoid, parenthetical = terminology()
    assert wrong_terms("步长。", avoid, parenthetical) == ["步长"]


def test_the_makefile_builds_every_translation_the_tools_know():
    makefile = (ROOT / "Makefile").read_text()
    declared = re.search(r"^TRANSLATIONS := (.*)$", makefile, re.M).group(1).split()
    assert declared == LANGUAGES, "Makefile's TRANSLATIONS and tools/translations.py's LANGUAGES differ"
    assert [p.name for p in sorted(LOCALES.iterdir()) if p.is_dir()] == LANGUAGES, "a catalog folder per language"
