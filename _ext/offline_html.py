"""The built book loads nothing from a third party, and runs no script twice.

A local Sphinx extension (registered in `_config.yml` under `sphinx: local_extensions`),
for the two things that configuration alone cannot do in Jupyter Book 1.x:

1. MathJax from the book itself. Sphinx's default `mathjax_path` is a CDN URL, so a
   downloaded copy, or a page read offline, showed raw `\\( ... \\)`. `_config.yml` points
   `mathjax_path` at `mathjax/<bundle>.js` under `_static`; this extension copies that bundle,
   from the pinned PyPI package `sphinx-mathjax-offline` (MathJax 3.2.2), into the build,
   with the folders of components MathJax loads on demand (TeX extensions, CHTML fonts, the
   menu, accessibility) and without the other top-level bundles the book never loads. The
   package's own Sphinx extension is not used because it would copy all of them (24 MB).

2. Each inline `<script>` once. In Sphinx 7.4 an extension that calls `app.add_js_file(None,
   body=...)` after the HTML builder exists (sphinx-thebe, sphinx-togglebutton) gets its
   script twice: the builder stores it once with filename None and once, re-read from the
   registry, with filename '' and the two do not compare equal. Twice `const THEBE_JS_URL =`
   is a SyntaxError on every page ("Identifier 'THEBE_JS_URL' has already been declared").
   Jupyter Book 1.x pins Sphinx 7, so drop the repeats from each page's script list.
"""

import importlib.util
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util.fileutil import copy_asset

MATHJAX_PACKAGE = "sphinx-mathjax-offline"  # its folder name has hyphens; find_spec accepts it


def _mathjax_source() -> Path:
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    if spec is None or spec.origin is None:
        raise ConfigError(f"{MATHJAX_PACKAGE} is not installed: run `make install`")
    return Path(spec.origin).parent / "static" / "mathjax"


def _bundle(app: Sphinx) -> str:
    """The bundle's path under `_static/mathjax/`, from `mathjax_path` (checked, not guessed)."""
    folder, _, bundle = app.config.mathjax_path.partition("/")
    if folder != "mathjax" or "/" in bundle or not (_mathjax_source() / bundle).is_file():
        raise ConfigError(f"mathjax_path must be mathjax/<a bundle of {MATHJAX_PACKAGE}>, "
                          f"not {app.config.mathjax_path!r}: the book must not load MathJax from a CDN")
    return bundle


def check_mathjax_path(app: Sphinx, config) -> None:
    _bundle(app)  # fail at the start of the build, not after it


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    bundle = _bundle(app)

    def other_bundle(relative: str) -> bool:  # top-level scripts are bundles; folders are components
        return "/" not in relative and relative.endswith(".js") and relative != bundle

    copy_asset(_mathjax_source(), Path(app.outdir) / "_static" / "mathjax", excluded=other_bundle)


def drop_repeated_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen = set()
    unique = []
    for script in scripts:
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # the builder's own list: it is reset for the next page


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", check_mathjax_path)
    app.connect("build-finished", copy_mathjax)
    # After every other handler, so that scripts added per page are seen too.
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
