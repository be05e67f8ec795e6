"""The book's translations: the catalogs from the English source, and each translated build.

English is the source. Sphinx's gettext builder extracts every message (paragraph, heading,
caption, alt text, table cell ...) of every page into ``_build/gettext/<page>.pot``;
``sphinx-intl`` merges those into ``locales/<language>/LC_MESSAGES/<page>.po``, where a
changed English sentence becomes *fuzzy* (its old translation kept, marked for review), and
the translated build reads the ``.po`` files directly. ::

    python -m tools.translations update           # make translations: .pot, then every .po
    python -m tools.translations extract          # the .pot alone (the stale catalogs check)
    python -m tools.translations build zh_CN      # the Chinese site into _build/html/zh_CN/

Both are Jupyter Book's own build (its configuration from ``_config.yml``, the table of
contents, the extensions), run through ``jupyter_book.sphinx.build_sphinx`` with a doctree
folder per builder and language, since a gettext or a Chinese environment cannot share
the English HTML build's. Notebooks are never executed (``execute_notebooks: "off"``): the
translated pages show the committed outputs, as the English ones do.
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
LOCALES = ROOT / "locales"
LANGUAGES = ["zh_CN"]
GETTEXT = BUILD / "gettext"


def sphinx_build(builder, outdir, overrides=None, strict=True):
    """One Jupyter Book build of the whole book, like ``jupyter-book build . -W -n --keep-going``."""
    from jupyter_book.sphinx import build_sphinx

    language = (overrides or {}).get("language", "en")
    result = build_sphinx(
        ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"),
        confoverrides={"external_toc_path": str(ROOT / "_toc.yml"), "latex_individualpages": False,
                       "nitpicky": True, **(overrides or {})},
        doctreedir=BUILD / f".doctrees-{builder}-{language}", builder=builder,
        warningiserror=strict, keep_going=True, quiet=True)
    if result != 0:
        raise SystemExit(f"the {builder} build ({language}) failed: see the warnings above")


def extract():
    """Every message of the English pages, into ``_build/gettext/<page>.pot``."""
    shutil.rmtree(GETTEXT, ignore_errors=True)
    sphinx_build("gettext", GETTEXT)
    return sorted(GETTEXT.rglob("*.pot"))


def update(languages=LANGUAGES):
    """The catalogs of ``languages`` brought up to the English source (``make translations``)."""
    extract()
    for language in languages:
        subprocess.run([sys.executable, "-m", "sphinx_intl", "update", "--pot-dir", str(GETTEXT),
                        "--locale-dir", str(LOCALES), "--language", language, "--line-width", "-1"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def search_dictionary(language):
    """The book's own words, one per line, for the search's word splitter (jieba): without
    them it cuts 感受野 into 感受 and 野, and a reader searching 感受野 finds nothing. They are
    the names TERMINOLOGY.md gives and the glossary's Chinese names."""
    from tools.book_sources import glossary_entries, terminology

    chinese = re.compile(r"[\u4e00-\u9fff]{2,}")
    words = {word for term in terminology(language) for word in chinese.findall(term.name)}
    words |= {word for term in terminology(language) for name in term.parenthetical for word in chinese.findall(name)}
    words |= {name for names, _ in glossary_entries() for name in names if chinese.fullmatch(name)}
    path = BUILD / f"search-words-{language}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{word} 1000\n" for word in sorted(words)), encoding="utf-8")
    return path


def build(language, outdir=None):
    """The book in ``language`` into ``_build/html/<language>/``, warnings as errors, published
    under ``<html.baseurl><language>/`` (the reader notebooks' links lead there)."""
    import yaml

    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    outdir = outdir or BUILD / "html" / language
    shutil.rmtree(outdir, ignore_errors=True)  # every page written, so every reader notebook too
    overrides = {"language": language, "html_baseurl": f"{baseurl.rstrip('/')}/{language}/"}
    if language.startswith("zh"):
        overrides["html_search_options"] = {"dict": str(search_dictionary(language))}
    sphinx_build("html", outdir, overrides)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="regenerate the .pot templates and merge them into every .po")
    commands.add_parser("extract", help="regenerate the .pot templates only, into _build/gettext")
    built = commands.add_parser("build", help="build one translation's HTML")
    built.add_argument("language", choices=LANGUAGES)
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
    elif args.command == "extract":
        extract()
    else:
        build(args.language)
    return 0


if __name__ == "__main__":
    sys.exit(main())
