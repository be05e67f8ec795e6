"""Reader notebooks: each chapter and lab as plain Jupyter shows it, written by the book's build.

Jupyter and Colab do not understand MyST, so the source notebooks, opened there, show raw
`{glue:text}` roles, `{glue:figure}` blocks, `{term}` links and every exercise's solution.
During each HTML build, once Sphinx has resolved a notebook page (glued values pasted in,
references numbered, citations formatted, in the page's language), this extension writes the
page's reader notebook to ``<outdir>/notebooks/<page>.ipynb``:

- each Markdown cell is the resolved text of that cell (`doctree_markdown.MarkdownWriter`):
  glued values as the book shows them, glued figures as images (cell attachments) with their
  number, caption and alt text, cross references, terms and citations as links into the
  published book (``html_baseurl``), admonitions as block quotes, exercises kept and their
  solutions replaced by a link to the book;
- each code cell is the source's, its code and metadata unchanged, except the hidden cells
  tagged ``exercise-answers`` (they compute and check the solutions' numbers; on Colab they
  would show the answers), which are left out. Outputs stay as committed, but those the book
  hides (cells tagged ``remove-cell`` or ``remove-output``: a glued figure, shown once, with
  its caption, in the next Markdown cell; the author's run of a set-up cell) and widget
  views, which hold no state and show only a placeholder until the cell runs.

``make generated`` copies them into ``notebooks/``, which is committed: the Colab and Binder
buttons, the download button (both pointed there by this extension), the README, the lab
instructions and the lab releases all lead to those files. ``tests/browser/test_generated.py``
fails when a committed one differs from the build's.

MyST-NB gives every node of a notebook page a line number of ``(cell index + 1) * 10000 +
line in the cell``; that is how the blocks of the page are sorted back into cells.
"""

import copy
from pathlib import Path

import nbformat
from doctree_markdown import MarkdownWriter, UnknownNode, _, escape
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

OUTPUT_FOLDER = "notebooks"
ANSWERS_TAG = "exercise-answers"
OUTPUTS_HIDDEN_BY = {"remove-cell", "remove_cell", "remove-output", "remove_output"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MYST_NB_LINES_PER_CELL = 10000


def page_url(app, docname):
    base = app.config.html_baseurl
    if not base:
        raise ConfigError("html_baseurl is not set (_config.yml: html: baseurl): "
                          "the reader notebooks link into the published book")
    return base.rstrip("/") + "/" + docname + app.builder.link_suffix


def cell_index(node):
    """The notebook cell a node was parsed from, or None (nodes the build added have no line)."""
    for each in node.findall(nodes.Element):
        if each.line:
            return each.line // MYST_NB_LINES_PER_CELL - 1
    return None


def page_blocks(document):
    """The page's block nodes in order, sections flattened into (heading) entries:
    yields (kind, node, depth) with kind "heading" or "block"."""
    def walk(node, depth):
        if isinstance(node, nodes.section):
            yield "heading", node, depth
            for child in node.children[1:]:
                yield from walk(child, depth + 1)
        elif node.get("nb_element") == "cell_code":
            return  # code cells are copied from the source notebook, outputs and all
        else:
            yield "block", node, depth
    for child in document.children:
        if isinstance(child, nodes.raw):
            continue  # sphinx-thebe's configuration script, added to every page
        yield from walk(child, 1)


def markdown_cells(app, document, docname):
    """{cell index: (Markdown source, attachments)} for the page's Markdown cells."""
    env = app.env
    url = page_url(app, docname)
    numbers = {(figure_type, node_id): ".".join(map(str, number))
               for figure_type, ids in env.toc_fignumbers.get(docname, {}).items()
               for node_id, number in ids.items()}
    section_numbers = env.toc_secnumbers.get(docname, {})
    writer = MarkdownWriter(url, numbers, app.config.numfig_format, app.srcdir)

    cells, index = {}, None
    for kind, node, depth in page_blocks(document):
        here = cell_index(node)
        index = here if here is not None else index  # a node without a line: the cell before it
        writer.attachments = cells.get(index, ("", {}))[1]
        if kind == "heading":
            anchor = "" if depth == 1 else "#" + node["ids"][0]
            number = section_numbers.get(anchor)
            label = ".".join(map(str, number)) + app.config.html_secnumber_suffix.rstrip() if number else None
            text = writer.heading(node[0], depth, label)
            if depth == 1:  # where the notebook comes from, under its title
                text += "\n\n*" + _("A runnable copy of the course's page [{title}]({url}).").format(
                    title=escape(node[0].astext()), url=url) + "*"
        else:
            text = writer.block(node)
        if text:
            source = cells.get(index, ("", {}))[0]
            cells[index] = ((source + "\n\n" if source else "") + text, writer.attachments)
    return cells


def reader_code_cell(cell):
    """The code cell as a reader notebook holds it: outputs the book hides, and widget views, left out."""
    cell = copy.deepcopy(cell)
    if OUTPUTS_HIDDEN_BY & set(cell.metadata.get("tags", [])):
        cell.outputs, cell.execution_count = [], None
    else:
        cell.outputs = [output for output in cell.outputs if WIDGET_VIEW not in output.get("data", {})]
    return cell


def reader_notebook(source_path, cells):
    """The source notebook with its Markdown cells replaced by ``cells`` and the answers left out."""
    notebook = nbformat.read(source_path, as_version=4)
    reader = copy.deepcopy(notebook)
    reader.cells = []
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            if ANSWERS_TAG not in cell.metadata.get("tags", []):
                reader.cells.append(reader_code_cell(cell))
        elif cell.cell_type == "markdown" and i in cells:
            source, attachments = cells.pop(i)
            markdown = nbformat.v4.new_markdown_cell(source, metadata=cell.metadata, id=cell.get("id"))
            if attachments:
                markdown.attachments = attachments
            reader.cells.append(markdown)
    if cells:
        raise UnknownNode(f"text from cells {sorted(cells)}, which are not Markdown cells")
    return reader


def write_reader_notebook(app: Sphinx, document, docname):
    source = Path(app.env.doc2path(docname))
    if app.builder.format != "html" or source.suffix != ".ipynb":
        return
    try:
        notebook = reader_notebook(source, markdown_cells(app, document, docname))
    except UnknownNode as error:
        cell = cell_index(error.node) if error.node is not None else None
        where = f" (cell {cell + 1})" if cell is not None else ""
        logger.warning("reader notebook of %s%s: %s", docname, where, error, location=docname)
        return
    nbformat.validate(notebook)
    target = Path(app.outdir) / OUTPUT_FOLDER / (docname + ".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    # nbformat's own layout, as the sources have it, so a regenerated file changes only where it should.
    target.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


def repository_folder(app):
    """Where the reader notebooks of this build's language are committed: ``notebooks/`` for
    English, ``notebooks/<language>/`` for a translation (the same pages, through Sphinx's
    catalogs: the converter writes whatever language the resolved page is in)."""
    language = app.config.language
    return OUTPUT_FOLDER if language in (None, "", "en") else f"{OUTPUT_FOLDER}/{language}"


def point_buttons_at_reader_notebooks(app: Sphinx, pagename, templatename, context, doctree):
    """The theme's launch buttons (Binder, Colab) and its download button lead to the source
    notebook; lead them to the reader notebook instead."""
    if pagename not in app.env.all_docs or not app.env.doc2path(pagename).endswith(".ipynb"):
        return
    source, reader = f"/{pagename}.ipynb", f"/{repository_folder(app)}/{pagename}.ipynb"
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if group.get("label") == "launch-buttons":
                button["url"] = button["url"].replace(source, reader)
            elif button.get("label") == "download-source-button":
                button["url"] = context["pathto"](f"{OUTPUT_FOLDER}/{pagename}.ipynb", 1)


def setup(app: Sphinx):
    # Its few messages (the solution's link, the line under the title) are in book_messages.py's catalog.
    app.setup_extension("book_messages")
    app.connect("doctree-resolved", write_reader_notebook)
    # After sphinx-book-theme adds its buttons (priority 501).
    app.connect("html-page-context", point_buttons_at_reader_notebooks, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
