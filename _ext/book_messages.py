"""The book's own interface messages, translated: what no page's catalog can hold.

Sphinx translates a page's text through that page's catalog (``locales/``), and its own
interface and the theme's through theirs. Five things are neither: the lines the reader
notebooks add ("in the book" ...), the book's title, the table of contents' captions (sphinx-external-toc inserts
them after Sphinx has translated the page, so ``intro.po``'s translations never reach them),
MyST-NB's buttons on a hidden cell ("Show code cell source"), the footer, a string of
``_config.yml``, and the order of a solution's title: sphinx-exercise translates its words
("Solution to" is 解答) but always puts them before the exercise, where Chinese puts them
after (练习 1.1 的解答). Their translations are the "book" catalog,
``locales/<language>/LC_MESSAGES/book.po`` in this folder, compiled at each build (the ``.mo``
is not committed). A message missing from it shows in English.
"""

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.locale import get_translation
from sphinx.transforms.post_transforms import SphinxPostTransform

CATALOG = "book"
LOCALES = Path(__file__).parent / "locales"
_ = get_translation(CATALOG)


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
    # Once the configuration is final: a translation's language comes from an override.
    app.add_message_catalog(CATALOG, str(LOCALES))
    # The book's title (the sidebar's heading, every page's <title>).
    config["html_title"] = str(_(config["html_title"]))
    # MyST-NB's buttons of a hidden cell ("Show code cell source"), read at builder-inited.
    for name in ("nb_code_prompt_show", "nb_code_prompt_hide"):
        config[name] = str(_(config[name]))


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
    app.connect("config-inited", register_catalog)
    app.connect("doctree-read", translate_toc_captions)
    app.connect("html-page-context", translate_footer)
    app.add_post_transform(SolutionTitleInOrder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
