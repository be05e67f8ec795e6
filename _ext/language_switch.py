"""A link on every page to the same page in the book's other language.

The English book is built into ``_build/html/`` and the Chinese one into
``_build/html/zh_CN/`` (``tools/translations.py``), page for page, so the other language's
page is the same path one folder down, or up. The link sits at the start of the article's
header, before the theme's buttons (a template of this folder, ``templates/``), written in
the language it leads to (``lang``, ``hreflang``), as language switches are.
"""

from pathlib import Path

# Each language's folder under the English site, and how its link reads.
EDITIONS = {
    "en": {"folder": "", "lang": "en", "text": "English", "title": "Read this page in English"},
    "zh_CN": {"folder": "zh_CN/", "lang": "zh-CN", "text": "中文", "title": "阅读本页的中文版"},
}


def other_edition(language):
    return "zh_CN" if language == "en" else "en"


def add_switch(app, pagename, templatename, context, doctree):
    language = app.config.language or "en"
    if language not in EDITIONS or pagename not in app.env.all_docs:
        return
    target = EDITIONS[other_edition(language)]
    # From this build's root to the other's: down into zh_CN/, or up out of it.
    root_to_root = target["folder"] if language == "en" else "../"
    context["language_switch"] = dict(target, url=context["pathto"](f"{root_to_root}{pagename}.html", 1))


def add_template(app, config):
    config.templates_path.append(str(Path(__file__).parent / "templates"))
    options = config.html_theme_options
    end = options.get("article_header_end", ["article-header-buttons.html"])
    end = [end] if isinstance(end, str) else list(end)
    if "language-switch.html" not in end:
        options["article_header_end"] = ["language-switch.html", *end]


def setup(app):
    app.connect("config-inited", add_template)
    app.connect("html-page-context", add_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
