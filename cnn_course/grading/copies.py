"""Near-copies of the course package's code in a student's file: flagged in the instructor's
report, never in the score.

Students install ``cnn_course``, whose reference code answers parts of the labs. A call into it
is seen while the tests run (the grading plugin's call check); code pasted from it into the
student's file is not. This compares each function of the file with every function of the
package's reference modules, as token sequences in which names are replaced by a placeholder
(renaming variables changes nothing) and comments and docstrings are dropped, and reports the
pairs that are nearly the same. Short functions are left out: a three-line ``relu`` is written
the same way by everyone.
"""

import ast
import builtins
import difflib
import importlib
import io
import keyword
import tokenize
from functools import cache

REFERENCE_MODULES = ("cnn_course.layers", "cnn_course.conv_arithmetic", "cnn_course.convolution",
                     "cnn_course.models", "cnn_course.numpy_convnet", "cnn_course.architecture")
SIMILAR = 0.95  # SequenceMatcher's ratio from which a pair is reported (the course's own solutions: at most 0.93)
BUILTIN_NAMES = frozenset(dir(builtins))  # kept as they are: len, range, ...
MIN_TOKENS = 60  # shorter functions are too alike in every hand


def _tokens(source):
    """The function's tokens, names as ``N`` (keywords and builtins kept), strings as ``S``."""
    out = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                continue
            if token.type == tokenize.NAME and not keyword.iskeyword(token.string) \
                    and token.string not in BUILTIN_NAMES:
                out.append("N")
            elif token.type == tokenize.STRING:
                out.append("S")
            else:
                out.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return out


def functions(source, prefix=""):
    """``{name: tokens}`` of every function defined at the top level of ``source`` (docstrings out)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body = body[1:]
            if not body:
                continue
            lines = source.splitlines()[body[0].lineno - 1:node.end_lineno]
            found[prefix + node.name] = _tokens("\n".join(line.strip() for line in lines) + "\n")
    return found


@cache
def _reference():
    reference = {}
    for name in REFERENCE_MODULES:
        module = importlib.import_module(name)
        with open(module.__file__, encoding="utf-8") as handle:
            reference.update(functions(handle.read(), prefix=f"{name}."))
    return {name: tokens for name, tokens in reference.items() if len(tokens) >= MIN_TOKENS}


def near_copies(source):
    """``[(function, reference function, similarity)]`` for each function of ``source`` that is
    nearly a function of the package's reference modules, most similar first."""
    found = []
    for name, tokens in functions(source).items():
        if len(tokens) < MIN_TOKENS:
            continue
        for reference, theirs in _reference().items():
            if not 0.5 <= len(tokens) / len(theirs) <= 2:
                continue
            matcher = difflib.SequenceMatcher(None, tokens, theirs, autojunk=False)
            if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR:
                ratio = matcher.ratio()
                if ratio >= SIMILAR:
                    found.append((name, reference, round(ratio, 2)))
    return sorted(found, key=lambda pair: -pair[2])


def describe(copies):
    """``"conv2d ~ cnn_course.layers.conv2d (0.97); ..."``, or ``""``."""
    return "; ".join(f"{name} ~ {reference} ({ratio:.2f})" for name, reference, ratio in copies)
