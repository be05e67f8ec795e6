"""The book's interface in the book's language: what no page's catalog can hold.

Sphinx translates a page's text through that page's catalog (``locales/``), and its own
interface and the themes' through theirs. The rest is here, in catalogs of this folder's
``locales/<language>/LC_MESSAGES/``, compiled at each build (no ``.mo`` is committed):

- **book.po**, the book's own messages: the lines the reader notebooks add ("in the book"
  ...), the book's title, the table of contents' captions (sphinx-external-toc inserts them
  after Sphinx has translated the page, so ``intro.po``'s translations never reach them),
  MyST-NB's buttons on a hidden cell ("Show code cell source"), the footer (a string of
  ``_config.yml``), sphinx-togglebutton's hints ("Click to show"), the search field's
  placeholder, and the English that templates and scripts write into attributes whatever the
  language ("Toggle primary sidebar", ``aria-label="Main"``), translated in the built files;
- **sphinx.po**, what Sphinx's and pydata-sphinx-theme's Chinese catalogs leave untranslated
  ("Link to this heading", "Color mode"), consulted after theirs;
- **booktheme.po**, sphinx-book-theme's messages, consulted before its own catalog, whose
  zh_CN is incomplete ("Launch interactive content") and partly Taiwanese (列印成 PDF).

And the order of a solution's title: sphinx-exercise translates its words ("Solution to" is
解答) but always puts them before the exercise, where Chinese puts them after (练习 1.1 的解答).
A message missing from these catalogs shows in English; `tests/browser/test_chinese_edition.py`
looks for English in the interface of the Chinese pages, as the browser shows them.
"""

import gettext
import html
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes, locale
from sphinx.locale import get_translation
from sphinx.transforms.post_transforms import SphinxPostTransform

CATALOG = "book"
LOCALES = Path(__file__).parent / "locales"
_ = get_translation(CATALOG)
# An attribute that a template or a script writes in English whatever the language.
FIXED_ATTRIBUTE = re.compile(r'(\s(?:title|aria-label|placeholder)=")([^"<>]+)(")')
# The scripts, among the built files, that write such attributes into the page.
SCRIPTS_WITH_ATTRIBUTES = ["_static/togglebutton.js"]


def compile_catalogs(folder=LOCALES):
    """Each ``.po`` under ``folder`` compiled to the ``.mo`` that gettext reads."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in folder.rglob("*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


def register_catalog(app, config):
    # Once the configuration is final (a translation's language comes from an override), and
    # before the extensions that read their settings at this event (sphinx-togglebutton).
    app.add_message_catalog(CATALOG, str(LOCALES))
    app.add_message_catalog("sphinx", str(LOCALES))  # after Sphinx's and the theme's
    put_first("booktheme", config.language)
    # The book's title (the sidebar's heading, every page's <title>).
    config["html_title"] = str(_(config["html_title"]))
    # MyST-NB's buttons of a hidden cell ("Show code cell source"), read at builder-inited;
    # sphinx-togglebutton's hints on a solution, written into a script at config-inited.
    for name in ("nb_code_prompt_show", "nb_code_prompt_hide", "togglebutton_hint", "togglebutton_hint_hide"):
        if name in config:  # a build without the extension (the converter's tests) has no such setting
            config[name] = str(_(config[name]))
    options = config["html_theme_options"]
    if "search_bar_text" in options:
        options["search_bar_text"] = str(_(options["search_bar_text"]))


def put_first(catalog, language):
    """This folder's ``catalog``, if it has one for ``language``, consulted before the one
    that its package registered (which stays, for the messages ours does not have)."""
    try:
        ours = gettext.translation(catalog, str(LOCALES), languages=[language])
    except OSError:
        return
    theirs = locale.translators.get(("general", catalog))
    if theirs is not None:
        ours.add_fallback(theirs)
    locale.translators[("general", catalog)] = ours


def translate_fixed_attributes(app, exception):
    """In a translated build, the English that templates and scripts write into attributes
    (a button's title, a navigation's aria-label), where the book catalog translates it."""
    if exception is not None or app.builder.format != "html" or app.config.language in (None, "en"):
        return

    def translate(match):
        english = html.unescape(match.group(2))
        return match.group(1) + html.escape(str(_(english))) + match.group(3)

    outdir = Path(app.outdir)
    for path in [*outdir.rglob("*.html"), *(outdir / script for script in SCRIPTS_WITH_ATTRIBUTES)]:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            translated = FIXED_ATTRIBUTE.sub(translate, text)
            if translated != text:
                path.write_text(translated, encoding="utf-8")


def translate_toc_captions(app, doctree):
    for toctree in doctree.findall(addnodes.toctree):
        if toctree.get("caption"):
            toctree["caption"] = str(_(toctree["caption"]))


def translate_footer(app, pagename, templatename, context, doctree):
    if context.get("theme_extra_footer"):
        context["theme_extra_footer"] = str(_(context["theme_extra_footer"]))


class SolutionTitleInOrder(SphinxPostTransform):
    """A solution's title, "Solution to <a>Exercise 1.1</a>", in the order of the book
    catalog's "Solution to {exercise}": 练习 1.1 的解答 in Chinese, the link kept."""

    default_priority = 22  # after sphinx-exercise's ResolveTitlesInSolutions (21) wrote it

    def run(self):
        from sphinx_exercise.nodes import solution_node

        template = str(_("Solution to {exercise}"))
        if template == "Solution to {exercise}":
            return  # sphinx-exercise's own order
        before, _exercise, after = template.partition("{exercise}")
        for solution in self.document.findall(solution_node):
            title = solution.children[0]
            link = next(title.findall(nodes.reference), None)
            if not isinstance(title, nodes.title) or link is None or not isinstance(link[0], nodes.Text):
                continue
            link[0] = nodes.Text(link[0].astext().lstrip())  # sphinx-exercise's " Exercise 1.1"
            del title[:]
            title.extend([nodes.Text(before), link, nodes.Text(after)] if before else [link, nodes.Text(after)])
            solution["title"] = title.astext()


def setup(app):
    compile_catalogs()
    app.connect("config-inited", register_catalog, priority=400)
    app.connect("doctree-read", translate_toc_captions)
    app.connect("html-page-context", translate_footer)
    app.add_post_transform(SolutionTitleInOrder)
    app.connect("build-finished", translate_fixed_attributes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
