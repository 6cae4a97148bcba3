"""Song lyrics or a quotation set before the prose, kept apart from the chapter text.

The heuristic is built to fail towards "no epigraph": losing a story's first lines to the
epigraph is worse than leaving a lyric in the text. It accepts a leading run of paragraphs when

* it ends in an attribution ("-- The Bangles, Following"), or
* the headers mention lyrics, a song, a poem or a quote and the run is three or more short lines
  that mostly lack a full stop (two will do when marked or followed by a rule), or
* the lines are all wrapped in emphasis or quote marks, three of them or two above a rule
  (two italic lines alone are more often "*Flashback*" and "*Three years earlier*"), or
* it is four or more short lines that read like verse: capitalised, mostly without a full stop,
  not dialogue (three are enough when a rule line follows them).

Whatever comes after the run must exist (an epigraph never is the whole story).
"""

from __future__ import annotations

import re

from fanarchive_parsers.plaintext.headers import is_separator

_HINT = re.compile(r"\b(?:lyrics?|song|songfic|poem|poetry|quote[sd]?|quotation|epigraph|verse)\b",
                   re.IGNORECASE)
# "-- The Bangles", "~ Rilke", "(from Following, by the Bangles)", "Lyrics by the Bangles".
_ATTRIBUTION = re.compile(
    r"(?:-{1,2}|[—–~])\s*[\"'“‘(]?[A-Z][^\n]{0,60}(?<![.!?])"
    r"|\((?i:from|by|lyrics|song|words|poem)\b[^\n]{1,100}\)"
    r"|(?i:lyrics|song|words|poem)\s+(?i:by|from)\s[^\n]{1,80}"
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)*_]*$")
_QUOTES = "\"'“‘"
_MARKS = (("*", "*"), ("_", "_"), ("/", "/"), ("\"", "\""), ("“", "”"), ("~", "~"))

_MAX_PARAGRAPHS = 40
_MAX_LINES = 40
_MAX_CHARS = 3000
_VERSE_LINE = 60  # longer lines are prose, or verse that we would rather leave in the text
_HINTED_VERSE_LINE = 75


def hinted(header_text: str) -> bool:
    """The headers talk about lyrics or a quote ('Note: Lyrics from "Following"')."""
    return _HINT.search(header_text) is not None


def find_epigraph(paras: list[str], *, hint: bool) -> int:
    """How many leading paragraphs of ``paras`` are an epigraph; 0 when there is none."""
    count = _attributed(paras)
    if count:
        return count
    count, lines = _short_run(paras, _HINTED_VERSE_LINE if hint else _VERSE_LINE)
    if not count or count >= len(paras) or len(lines) > _MAX_LINES:
        return 0
    rule_after = is_separator(paras[count])
    total = len(lines)
    lower = sum(line[:1].islower() for line in lines) / total
    dialogue = sum(_is_dialogue(line) for line in lines) / total
    open_ended = sum(_SENTENCE_END.search(line) is None for line in lines) / total
    marked = all(_is_marked(line) for line in lines)
    if hint:
        enough = total >= 3 or (total >= 2 and (marked or rule_after))
        verse = open_ended >= 0.5 and lower <= 0.5 and dialogue < 0.5
        return count if enough and verse else 0
    if lower > 0.3 or dialogue >= 0.5:
        return 0
    if marked and (total >= 3 or (total >= 2 and rule_after)):
        return count
    if open_ended >= 0.75 and (total >= 4 or (total >= 3 and rule_after)):
        return count
    return 0


def join_epigraph(paras: list[str]) -> str:
    """One line per lyric line; stanzas of several lines keep their blank line between them."""
    if all("\n" not in para for para in paras):
        return "\n".join(paras)
    return "\n\n".join(paras)


def _attributed(paras: list[str]) -> int:
    """A quotation closed by an attribution line within the first few paragraphs."""
    chars = 0
    for k, para in enumerate(paras[:8]):
        if is_separator(para):
            return 0
        chars += len(para)
        if chars > _MAX_CHARS:
            return 0
        last = para.rsplit("\n", 1)[-1].strip()
        if (k or "\n" in para) and len(last) <= 80 and _ATTRIBUTION.fullmatch(last):
            return k + 1 if k + 1 < len(paras) else 0
    return 0


def _short_run(paras: list[str], width: int) -> tuple[int, list[str]]:
    lines: list[str] = []
    count = 0
    for para in paras[:_MAX_PARAGRAPHS]:
        if is_separator(para):
            break
        para_lines = [line.strip() for line in para.split("\n")]
        if max(len(line) for line in para_lines) > width:
            break
        lines += para_lines
        count += 1
        if len(lines) > _MAX_LINES:
            break
    return count, lines


def _is_dialogue(line: str) -> bool:
    return line[:1] in _QUOTES and _SENTENCE_END.search(line) is not None


def _is_marked(line: str) -> bool:
    return len(line) > 2 and any(line.startswith(a) and line.endswith(b) for a, b in _MARKS)
