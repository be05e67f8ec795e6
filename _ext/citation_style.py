"""Citations as "Author (year)" and "(Author, year)", the usual author-year form.

sphinxcontrib-bibtex's ``author_year`` style puts the year in square brackets ("Chollet
[2017]"); this registers ``author_year_round``, the same style with round ones, which
`_config.yml` selects (``bibtex_reference_style``). The reader notebooks, written from the
resolved pages, cite the same way.
"""

from dataclasses import dataclass, field

from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def round_brackets() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclass
class RoundAuthorYearStyle(AuthorYearReferenceStyle):
    bracket_textual: BracketStyle = field(default_factory=round_brackets)
    bracket_parenthetical: BracketStyle = field(default_factory=round_brackets)


def setup(app):
    register_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
