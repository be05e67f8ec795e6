"""What the chapters and the glossary say, checked against the course's own definitions.

- dX, the gradient of a convolution's input, is "the full convolution of dY with K"
  (chapter 5): nowhere may the book say "the full convolution of dY with K rotated by
  180°", which by chapter 2's definitions turns the kernel twice (issue 18, item 1).
- Each glossary entry names, first, the chapter whose prose first uses the term (the
  glossary's own rule, stated in its header; issue 18, item 16).
- A sentence that starts with a glossary term starts with a capital: `{term}` shows the
  term as written, so ``{term}`Downsampling <downsampling>` ``.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from cnn_course.convolution import corr2d
from tools.book_sources import glossary_entries

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
PAGES = CHAPTERS + [ROOT / "glossary.md", ROOT / "intro.md"] + sorted(
    p for p in (ROOT / "labs").rglob("*") if p.suffix in (".md", ".ipynb") and ".ipynb_checkpoints" not in p.parts)


def _text(path, cell_types=("markdown", "code")):
    """A page's text, Markdown and code cells of a notebook, with its whitespace collapsed."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] in cell_types)
    else:
        text = path.read_text()
    return " ".join(text.split())


# ---------------------------------------------------------------- the kernel's rotation in dX

# "convolution of dY with K rotated", "convolution of dY with the rotated kernel", "full
# convolution with the kernel turned by 180°": a convolution already turns its kernel.
_PLAIN = re.compile(r"[$*`\\]|\{|\}|widetilde|overline")
WRONG_ROTATION = re.compile(
    r"\bconvolution(?: of [^.;:,]{1,40}?)? with (?:the |a )?(?:kernel |K |\S+ )?"
    r"(?:rotated|turned|flipped|half-turned|rot90)\b"
    r"|\bconvolution of [^.;:,]{1,40}? with (?:the |a )?(?:kernel|K)\b[^.;:,]{0,12}?"
    r"\b(?:rotated|turned|flipped) by 180",
    re.I)


def wrong_rotations(text):
    """Every phrase of ``text`` that puts a rotated kernel in a convolution."""
    plain = " ".join(_PLAIN.sub("", text).split())
    return [m.group(0) for m in WRONG_ROTATION.finditer(plain)]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_rotates_the_kernel_of_a_convolution_twice(path):
    found = wrong_rotations(_text(path))
    assert not found, (f"a convolution already turns its kernel (chapter 2); dX is the full "
                       f"convolution of dY with K (chapter 5): {found}")


def test_the_rotation_check_knows_the_wrong_and_the_right_phrasings():
    wrong = ["the full convolution of dY with K rotated by 180° (channels swapped)",
             "the full convolution of $dY$ with $K$ rotated by 180°",
             "$dX$ is still the full convolution of $dY$ with the rotated kernel, but",
             "full convolution with the rotated kernel, of a version of $dY$",
             "the full convolution of dY with the kernel rotated by 180°. Chapter 5.",
             "that is the full convolution of $D$ with the rotated kernel."]
    right = ["$dX$ is the **full convolution** of $dY$ with $K$: the padded correlation with "
             "the kernel rotated by 180°.",
             "the full convolution of $dY$ with $K$ (channels swapped), the transposed convolution",
             "Convolution equals cross-correlation with the kernel turned by 180°, and differs",
             "True convolution with a kernel `K` is cross-correlation with `np.rot90(K, 2)`",
             "# dX: the full convolution of dY with K, computed as the correlation of dY padded "
             "by kh - 1, kw - 1 with K rotated by 180°"]
    assert all(wrong_rotations(text) for text in wrong), [t for t in wrong if not wrong_rotations(t)]
    assert not any(wrong_rotations(text) for text in right), [wrong_rotations(t) for t in right]


def full_convolution(X, K):
    """Chapter 2's true convolution, every overlap, from its definition: X[u, v] lands on
    Z[u + a, v + b] weighted by K[a, b] (chapter 2's ``conv2d_full``)."""
    Z = np.zeros((X.shape[0] + K.shape[0] - 1, X.shape[1] + K.shape[1] - 1))
    for u, v in np.ndindex(*X.shape):
        Z[u:u + K.shape[0], v:v + K.shape[1]] += X[u, v] * K
    return Z


def test_dx_is_the_full_convolution_of_dy_with_k():
    rng = np.random.default_rng(0)
    X, K = rng.normal(size=(6, 5)), rng.normal(size=(3, 2))  # an unsymmetric kernel
    dY = rng.normal(size=corr2d(X, K).shape)
    # dL/dX for L = sum(corr2d(X, K) * dY), one input pixel at a time: L is linear in X
    dX = np.zeros_like(X)
    for p, q in np.ndindex(*X.shape):
        E = np.zeros_like(X)
        E[p, q] = 1.0
        dX[p, q] = np.sum(corr2d(E, K) * dY)
    np.testing.assert_allclose(dX, full_convolution(dY, K), atol=1e-12)
    # the same as chapter 5 computes it: a correlation of the padded dY with K turned by 180°
    padded = np.pad(dY, ((K.shape[0] - 1,) * 2, (K.shape[1] - 1,) * 2))
    np.testing.assert_allclose(dX, corr2d(padded, np.rot90(K, 2)), atol=1e-12)
    # and not the full convolution with the rotated kernel (two turns: a correlation)
    assert not np.allclose(dX, full_convolution(dY, np.rot90(K, 2)))


# ---------------------------------------------------------------- the glossary's chapters

_FENCED = re.compile(r"```\{(?:exercise|solution)\}.*?```", re.S)


def first_chapter_using(names):
    """The number of the first chapter whose prose uses one of ``names`` (whole words, any
    case, a plural s allowed), or None. Prose: the Markdown cells without the exercises and
    their solutions, where a term is used in passing rather than met."""
    patterns = [re.compile(rf"(?<![\w-]){re.escape(name)}s?(?!\w)", re.I)
                for name in names if re.match(r"[A-Za-z]", name)]
    for path in CHAPTERS:
        prose = " ".join(_FENCED.sub(" ", _text(path, ("markdown",))).split())
        if any(p.search(prose) for p in patterns):
            return int(path.name[:2])
    return None


@pytest.mark.parametrize("names, definition", glossary_entries(), ids=lambda v: v[0] if isinstance(v, list) else "")
def test_each_glossary_entry_names_first_the_chapter_that_first_uses_it(names, definition):
    named = re.search(r"\bchapters? (\d+)", definition, re.I)
    first = first_chapter_using(names)
    assert named and int(named.group(1)) == first, (
        f"{names[0]!r} is first used in chapter {first}; the entry says "
        f"{named.group(0) if named else 'no chapter'}")


def test_the_glossary_has_entries():
    names = [n for names, _ in glossary_entries() for n in names]
    assert {"ReLU", "cross-entropy", "feature map", "transposed convolution"} <= set(names)


# ---------------------------------------------------------------- a sentence starting with a term

TERM_STARTING_A_SENTENCE = re.compile(r"(?:\A|[.!?]\s+|\n\s*\n|\n#+ )\{term\}`([a-z][^`]*)`")


def _markdown(path):
    if path.suffix == ".ipynb":
        return "\n\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                             if c["cell_type"] == "markdown")
    return path.read_text()


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_sentence_starting_with_a_term_starts_with_a_capital(path):
    assert not TERM_STARTING_A_SENTENCE.findall(_markdown(path))


def test_the_capital_check_catches_a_lower_case_term():
    assert TERM_STARTING_A_SENTENCE.findall("## Why\n\n{term}`downsampling` throws. {term}`stride` is.")
    assert not TERM_STARTING_A_SENTENCE.findall("{term}`Downsampling <downsampling>` throws, a {term}`stride`.")
