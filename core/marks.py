"""Words searched for, marked where they stand in a text: `marked(text, term)` escapes the
text and puts each stretch that matches the term in <mark>, matching as the database's search
does (`backoffice_fold`: whatever the case and accents)."""

import unicodedata
from html import escape


def lines(text: str) -> str:
    """Escaped text whose line breaks show as breaks."""
    return "<br>".join(escape(line) for line in text.replace("\r\n", "\n").split("\n"))


def _folded(text: str) -> str:
    """As `backoffice_fold` folds (accents off, upper case), character for character where it
    can: a letter and its accents fold to one letter."""
    return "".join(
        (unicodedata.normalize("NFKD", c)[:1] or c).upper() if len(c.upper()) == 1 else c
        for c in text
    )


def marked(text: str, term: str) -> str:
    """`text` escaped, with each stretch that matches `term` (whatever its case and accents)
    in <mark>, and its line breaks as breaks."""
    if not term:
        return lines(text)
    folded, needle = _folded(text), _folded(term)
    if len(folded) != len(text) or needle not in folded:
        return lines(text)
    out, start = [], 0
    while (found := folded.find(needle, start)) >= 0:
        out.append(lines(text[start:found]))
        out.append(f"<mark>{lines(text[found : found + len(needle)])}</mark>")
        start = found + len(needle)
    out.append(lines(text[start:]))
    return "".join(out)
