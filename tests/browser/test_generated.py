"""What the book's build generates, against what is committed: the reader notebooks, and
the Chinese edition's catalogs.

Run after the strict build (`make browser-test`, `make check`): the build writes each notebook
page's reader notebook to `_build/html/notebooks/` (`_ext/reader_notebooks.py`); the committed
copies in `notebooks/`, which Colab and Binder open, must be the same files. The built pages'
launch and download buttons must lead to them, and every link a reader notebook holds must
lead to a page and an anchor of the book, in each language.

The catalogs: `make book-strict` also extracts every English message into
`_build/gettext/<page>.pot`; each `locales/zh_CN/LC_MESSAGES/<page>.po` must hold exactly
those messages. An English sentence edited without `make translations` (which would mark its
translation fuzzy, for review) fails here.
"""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from babel.messages.pofile import read_po

from tools.translations import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "_build" / "html"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
BASEURL = CONFIG["html"]["baseurl"]
REPOSITORY = urlparse(CONFIG["repository"]["url"]).path.strip("/")  # owner/name
BRANCH = CONFIG["repository"]["branch"]
FIX = "run `make generated` and commit notebooks/"

TRANSLATIONS = LANGUAGES
# (where the build writes a language's reader notebooks, where they are committed)
FOLDERS = {"en": (BOOK / "notebooks", ROOT / "notebooks"),
           **{t: (BOOK / t / "notebooks", ROOT / "notebooks" / t) for t in TRANSLATIONS}}


def notebooks_in(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb")
                  if not set(TRANSLATIONS) & set(p.relative_to(folder).parts))


BUILT_IN_EACH = [(language, name) for language, (built, _) in FOLDERS.items() for name in notebooks_in(built)]


@pytest.mark.parametrize("language", FOLDERS)
def test_the_build_wrote_the_reader_notebooks_and_the_same_are_committed(language):
    built, committed = FOLDERS[language]
    assert notebooks_in(built), f"no reader notebooks in {built}: build the book first (make book-strict)"
    assert notebooks_in(committed) == notebooks_in(built), f"{committed} and the build differ in files: {FIX}"


@pytest.mark.parametrize("language, name", BUILT_IN_EACH)
def test_a_committed_reader_notebook_is_not_stale(language, name):
    built, committed = (folder / name for folder in FOLDERS[language])
    assert committed.is_file() and committed.read_bytes() == built.read_bytes(), \
        f"{committed.relative_to(ROOT)} is stale: {FIX}"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def parse(path):
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def site(language):
    """A language's root in the build, and its folder in the repository's notebooks/."""
    return (BOOK, "notebooks") if language == "en" else (BOOK / language, f"notebooks/{language}")


@pytest.mark.parametrize("language, name", BUILT_IN_EACH)
def test_the_pages_buttons_open_the_reader_notebook(language, name):
    root, folder = site(language)
    page = name.removesuffix(".ipynb")
    hrefs = parse(root / f"{page}.html").hrefs
    repo_path = f"{folder}/{name}"
    assert f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{repo_path}" in hrefs
    assert f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?urlpath=tree/{repo_path}" in hrefs
    download = "../" * page.count("/") + f"notebooks/{name}"
    assert download in hrefs, "the download button gives the reader notebook"
    assert not [h for h in hrefs if h.endswith(f"_sources/{name}")], "no button gives the MyST source"


@pytest.mark.parametrize("language, name", BUILT_IN_EACH)
def test_every_link_in_a_reader_notebook_leads_to_a_page_and_anchor_of_the_book(language, name):
    root, _ = site(language)
    base = BASEURL if language == "en" else f"{BASEURL}{language}/"
    text = (root / "notebooks" / name).read_text(encoding="utf-8")
    urls = {url.replace("\\", "") for url in re.findall(r"\]\((" + re.escape(base) + r"[^)\s\\\"]*)", text)}
    assert urls or name.startswith("labs/lab1") or name.startswith("labs/lab2"), "no links into the book"
    pages = {}
    for url in sorted(urls):
        path, _, anchor = url.removeprefix(base).partition("#")
        assert (root / path).is_file(), f"{name}: {url} leads to no page"
        if anchor:
            ids = pages.setdefault(path, parse(root / path).ids)
            assert anchor in ids, f"{name}: {url} leads to no anchor of {path}"


GETTEXT = ROOT / "_build" / "gettext"
TEMPLATES = sorted(p.relative_to(GETTEXT).with_suffix("").as_posix() for p in GETTEXT.rglob("*.pot"))


def message_ids(path):
    with path.open("rb") as source:
        return {message.id for message in read_po(source) if message.id}


def test_the_build_extracted_the_messages():
    assert TEMPLATES, f"no templates in {GETTEXT}: build the book first (make book-strict)"


@pytest.mark.parametrize("language", TRANSLATIONS)
@pytest.mark.parametrize("page", TEMPLATES)
def test_a_catalog_holds_the_english_pages_messages_as_they_are_now(language, page):
    catalog = ROOT / "locales" / language / "LC_MESSAGES" / f"{page}.po"
    assert catalog.is_file(), f"{catalog.relative_to(ROOT)} is missing: run `make translations`"
    english, translated = message_ids(GETTEXT / f"{page}.pot"), message_ids(catalog)
    changed = sorted(english - translated)[:5]
    assert english == translated, (f"{catalog.relative_to(ROOT)} is stale: run `make translations`, then translate "
                                   f"what became fuzzy; new or changed English: {changed}")
