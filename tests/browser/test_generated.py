"""What the book's build generates, against what is committed: the reader notebooks.

Run after the strict build (`make browser-test`, `make check`): the build writes each notebook
page's reader notebook to `_build/html/notebooks/` (`_ext/reader_notebooks.py`); the committed
copies in `notebooks/`, which Colab and Binder open, must be the same files. The built pages'
launch and download buttons must lead to them, and every link a reader notebook holds must
lead to a page and an anchor of the book.
"""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "_build" / "html"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
BASEURL = CONFIG["html"]["baseurl"]
REPOSITORY = urlparse(CONFIG["repository"]["url"]).path.strip("/")  # owner/name
BRANCH = CONFIG["repository"]["branch"]
FIX = "run `make generated` and commit notebooks/"

BUILT = sorted(p.relative_to(BOOK / "notebooks").as_posix() for p in (BOOK / "notebooks").rglob("*.ipynb"))
COMMITTED = sorted(p.relative_to(ROOT / "notebooks").as_posix() for p in (ROOT / "notebooks").rglob("*.ipynb"))


def test_the_build_wrote_the_reader_notebooks():
    assert BUILT, f"no reader notebooks in {BOOK / 'notebooks'}: build the book first (make book-strict)"


def test_the_same_reader_notebooks_are_committed():
    assert COMMITTED == BUILT, f"notebooks/ and the build differ in files: {FIX}"


@pytest.mark.parametrize("name", BUILT)
def test_a_committed_reader_notebook_is_not_stale(name):
    built, committed = BOOK / "notebooks" / name, ROOT / "notebooks" / name
    assert committed.is_file() and committed.read_bytes() == built.read_bytes(), f"notebooks/{name} is stale: {FIX}"


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


@pytest.mark.parametrize("name", BUILT)
def test_the_pages_buttons_open_the_reader_notebook(name):
    page = name.removesuffix(".ipynb")
    hrefs = parse(BOOK / f"{page}.html").hrefs
    repo_path = f"notebooks/{name}"
    assert f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{repo_path}" in hrefs
    assert f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?urlpath=tree/{repo_path}" in hrefs
    download = "../" * page.count("/") + repo_path
    assert download in hrefs, "the download button gives the reader notebook"
    assert not [h for h in hrefs if h.endswith(f"_sources/{name}")], "no button gives the MyST source"


@pytest.mark.parametrize("name", BUILT)
def test_every_link_in_a_reader_notebook_leads_to_a_page_and_anchor_of_the_book(name):
    text = (BOOK / "notebooks" / name).read_text(encoding="utf-8")
    urls = {url.replace("\\", "") for url in re.findall(r"\]\((" + re.escape(BASEURL) + r"[^)\s\\\"]*)", text)}
    assert urls or name.startswith("labs/lab1") or name.startswith("labs/lab2"), "no links into the book"
    pages = {}
    for url in sorted(urls):
        path, _, anchor = url.removeprefix(BASEURL).partition("#")
        assert (BOOK / path).is_file(), f"{name}: {url} leads to no page"
        if anchor:
            ids = pages.setdefault(path, parse(BOOK / path).ids)
            assert anchor in ids, f"{name}: {url} leads to no anchor of {path}"
