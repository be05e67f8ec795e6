"""A resolved Sphinx doctree, written back as the Markdown that Jupyter and Colab render.

The book's notebooks are written in MyST: roles (`{glue:text}`, `{term}`, `{cite}` ...) and
directives (figures, admonitions, exercises) that plain Jupyter shows as raw text. Sphinx has
already resolved all of them by the time a page is written: glued values are text, references
are links with the book's numbers ("Fig. 6.2", "Exercise 1.1"), citations read "Author (year)".
`MarkdownWriter` writes that resolved tree as CommonMark with `$...$` math, which is what a
reader notebook's Markdown cells hold (`reader_notebooks.py` groups the blocks into cells).

Every node type the book uses has a method here; any other raises `UnknownNode`, so a new kind of
markup fails the build instead of vanishing from the reader notebooks.
"""

import base64
import mimetypes
import re
from pathlib import Path
from urllib.parse import urljoin

from docutils import nodes
from sphinx.locale import admonitionlabels, get_translation

# Our own messages: a translated build translates them with the "book" catalog (book_messages.py).
_ = get_translation("book")

# Characters that CommonMark, or Jupyter's math, would read as markup in plain text. A bracket
# is markup only where it could close a link ("](", "][", "]:"): "[0, 1]" stays as it is, since
# "\[" is a display-math delimiter to some renderers.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_<>$|]|\](?=[(\[:]))")


class UnknownNode(Exception):
    """Markup the writer has no Markdown for (the build reports it as a warning, where it is)."""

    def __init__(self, message, node=None):
        super().__init__(message)
        self.node = node


class MarkdownWriter:
    """Writes the nodes of one page. ``page_url`` is the page's address in the published book:
    relative links become absolute there. ``numbers`` maps (figure type, node id) to the
    book's number, ``"6.2"``; ``formats`` maps a figure type to its label, ``"Fig. %s"``;
    ``srcdir`` is where image paths are relative to. Images become cell attachments:
    :attr:`attachments` collects them for the cell being written."""

    def __init__(self, page_url, numbers, formats, srcdir):
        self.page_url = page_url
        self.numbers = numbers
        self.formats = formats
        self.srcdir = Path(srcdir)
        self.attachments = {}

    # -- blocks: each returns Markdown text, without surrounding blank lines ----------------

    def block(self, node):
        method = getattr(self, "block_" + type(node).__name__, None)
        if method is None:
            raise UnknownNode(f"no Markdown for a block <{type(node).__name__}>", node)
        return method(node)

    def blocks(self, children):
        return "\n\n".join(text for text in (self.block(child) for child in children) if text)

    def heading(self, title, depth, number=None):
        prefix = f"{number} " if number else ""
        return "#" * depth + " " + prefix + self.inline_children(title).replace("\n", " ")

    def block_paragraph(self, node):
        return self.inline_children(node)

    def block_bullet_list(self, node):
        return "\n".join(self._list_item(item, "- ") for item in node.children)

    def block_enumerated_list(self, node):
        start = node.get("start", 1)
        return "\n".join(self._list_item(item, f"{start + i}. ") for i, item in enumerate(node.children))

    def _list_item(self, item, marker):
        body = self.blocks(item.children)
        return marker + indent(body, " " * len(marker)).lstrip()

    def block_math_block(self, node):
        tex = node.astext().strip()
        if node.get("label") and isinstance(node.get("number"), int):
            tex += rf" \tag{{{node['number']}}}"
        return f"$$\n{tex}\n$$"

    def block_literal_block(self, node):
        language = node.get("language", "")
        language = "" if language in ("default", "none") else language
        fence = "`" * max(3, longest_run(node.astext(), "`") + 1)
        return f"{fence}{language}\n{node.astext().rstrip()}\n{fence}"

    def block_block_quote(self, node):
        return quote(self.blocks(node.children))

    def block_admonition(self, node):
        title = next(iter(node.findall(nodes.title)), None)
        body = [child for child in node.children if not isinstance(child, nodes.title)]
        return self._admonition(self.inline_children(title) if title else "", body)

    def _admonition(self, title, body):
        """An admonition as a block quote with a bold title (Jupyter has no boxes)."""
        return quote(f"**{title.strip()}**\n\n" + self.blocks(body))

    def block_figure(self, node):
        image = next(iter(node.findall(nodes.image)))
        number = self.number("figure", node)
        # Named after the figure's label, or its number: "fig-pool-forward.png", "figure-6.5.png".
        numbered = [self.numbers[("figure", i)] for i in node["ids"] if ("figure", i) in self.numbers]
        name = node["names"][0] if node["names"] else "figure-" + (numbered[0] if numbered else "")
        parts = [self.image(image, name.strip("-") + Path(image["uri"]).suffix)]
        caption = next(iter(node.findall(nodes.caption)), None)
        if caption is not None:
            label = f"**{number}** " if number else ""
            parts.append(label + self.inline_children(caption))
        legend = next(iter(node.findall(nodes.legend)), None)
        if legend is not None:
            parts.append(self.blocks(legend.children))
        return "\n\n".join(parts)

    def block_exercise_enumerable_node(self, node):
        """An exercise stays, numbered as in the book ("Exercise 1.1"), with its own subtitle."""
        title, body = node.children[0], node.children[1:]
        subtitles = [child for child in title.children if isinstance(child, nodes.subtitle)]
        head = f"**{self.number('exercise', node) or escape(title.astext())}**"
        if subtitles:
            head += f" ({self.inline_children(subtitles[0])})"
        content = [grandchild for child in body
                   for grandchild in (child.children if isinstance(child, nodes.section) else [child])]
        return head + "\n\n" + self.blocks(content)

    def block_solution_node(self, node):
        """A solution is left out (on Colab it would sit in plain sight): a link to it in the book."""
        link = _("{solution}: [in the book]({url})").format(
            solution=escape(node.children[0].astext()), url=f"{self.page_url}#{node['ids'][0]}")
        return f"*{link}*"

    def block_table(self, node):
        rows = [[self._cell(entry) for entry in row.findall(nodes.entry)] for row in node.findall(nodes.row)]
        header = len(list(node.findall(nodes.thead))) and len(next(iter(node.findall(nodes.thead))).children)
        if header != 1:
            raise UnknownNode("a table needs exactly one header row for Markdown", node)
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "|" + "---|" * len(rows[0]))
        title = next(iter(node.findall(nodes.title)), None)
        if title is not None:
            number = self.number("table", node)
            lines.insert(0, (f"**{number}** " if number else "") + self.inline_children(title) + "\n")
        return "\n".join(lines)

    def _cell(self, entry):
        # Text has its pipes escaped already; a code span's must be too, inside a table.
        return re.sub(r"(?<!\\)\|", r"\\|", self.blocks(entry.children).replace("\n", " "))

    def block_raw(self, node):
        return node.astext() if node.get("format") == "html" else ""

    def block_target(self, node):
        return ""  # an anchor: links point into the book, not into the notebook

    def block_comment(self, node):
        return ""

    # -- inline --------------------------------------------------------------------------------

    def inline_children(self, node):
        return "".join(self.inline(child) for child in node.children)

    def inline(self, node):
        if isinstance(node, nodes.Text):
            return escape(str(node))
        method = getattr(self, "inline_" + type(node).__name__, None)
        if method is None:
            raise UnknownNode(f"no Markdown for inline <{type(node).__name__}>", node)
        return method(node)

    def inline_emphasis(self, node):
        return wrap(self.inline_children(node), "*")

    def inline_strong(self, node):
        return wrap(self.inline_children(node), "**")

    def inline_literal(self, node):
        text = node.astext().replace("\n", " ")
        fence = "`" * (longest_run(text, "`") + 1)
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"{fence}{pad}{text}{pad}{fence}"

    def inline_math(self, node):
        return f"${node.astext().strip()}$"

    def inline_inline(self, node):  # glued text, a term's or a citation's text: its content
        return self.inline_children(node)

    def inline_reference(self, node):
        text = self.inline_children(node)
        if "refuri" in node:
            url = urljoin(self.page_url, node["refuri"])
        elif "refid" in node:
            url = f"{self.page_url}#{node['refid']}"
        else:
            return text
        return f"[{text}]({url})"

    def inline_number_reference(self, node):
        return self.inline_reference(node)

    def inline_image(self, node):
        return self.image(node, None)

    def inline_raw(self, node):
        return node.astext() if node.get("format") == "html" else ""

    def inline_target(self, node):
        return ""

    def inline_footnote_reference(self, node):
        return self.inline_reference(node)

    # -- helpers ---------------------------------------------------------------------------------

    def number(self, figure_type, node):
        """The book's label of a numbered node ("Fig. 6.2"), or "" if it has none."""
        for node_id in node.get("ids", []):
            number = self.numbers.get((figure_type, node_id))
            if number:
                return self.formats[figure_type] % number
        return ""

    def image(self, node, name):
        """An image as a cell attachment: it shows on Colab and offline, with nothing beside it."""
        path = Path(node["uri"]) if Path(node["uri"]).is_absolute() else self.srcdir / node["uri"]
        name = name or path.name
        while name in self.attachments:  # two images of one name in a cell: keep both
            name = "_" + name
        mime = mimetypes.guess_type(path.name)[0]
        if not mime or not mime.startswith("image/"):
            raise UnknownNode(f"not an image: {node['uri']}", node)
        self.attachments[name] = {mime: base64.b64encode(path.read_bytes()).decode("ascii")}
        alt = escape(node.get("alt", "").replace("\n", " "))
        return f"![{alt}](attachment:{name})"


def escape(text):
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def indent(text, prefix):
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def quote(text):
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


def wrap(text, marker):
    """Emphasis around ``text``, its spaces outside (CommonMark ignores ``* a *``)."""
    stripped = text.strip()
    if not stripped:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def longest_run(text, char):
    runs = re.findall(re.escape(char) + "+", text)
    return max((len(run) for run in runs), default=0)


def admonition_title(node):
    """The label the HTML shows on a typed admonition (``tip`` -> "Tip"), in the book's language."""
    return admonitionlabels.get(type(node).__name__, type(node).__name__.title())


def _typed_admonition(self, node):
    return self._admonition(admonition_title(node), node.children)


# Typed admonitions (`{tip}`, `{note}` ...) carry no title node: the label is the type's.
for _type in ("attention", "caution", "danger", "error", "hint", "important", "note", "seealso", "tip", "warning"):
    setattr(MarkdownWriter, "block_" + _type, _typed_admonition)
