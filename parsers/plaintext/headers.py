"""The header block at the top of a plain-text story: ``Label: value`` lines before the prose.

Only the head of the file is scanned (:data:`HEAD_CHARS`, :data:`HEAD_LINES`), so a long story
costs no more than a short one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fanarchive_parsers.plaintext.labels import (
    NOT_LABELS,
    PROSE_PRONE,
    SINGLE_LINE_FIELDS,
    field_for,
    label_key,
)

HEAD_CHARS = 16_384
HEAD_LINES = 120
_FIRST_CHUNK = 2_048
# A wrapped header value continues on lines of wrapping width; a longer line right under a
# header is the story starting without a blank line.
_LONGEST_CONTINUATION = 90
_MAX_LABEL_CHARS = 64  # four words of decorated label and the separator fit in this

# ``Title: x``, ``TITLE : x``, ``*Title*: x``, ``**Title:** x``, ``_Title_: x``, ``[Title]: x``
# and ``Title - x``. A label is one to four words of letters (plus ' . / & -: "A/N", "E-mail",
# "Author's Note"); digits never occur in labels, which keeps "Chapter 1: ..." out.
_WORD = r"[^\W\d_](?:[^\W\d_]|['’./&-])*"
_LABEL_LINE = re.compile(
    rf"""(?P<open>\*{{1,2}}|_{{1,2}}|\[)?
    (?P<label>{_WORD}(?:[ \t]+{_WORD}){{0,3}}?)
    [ \t]*(?:\*{{1,2}}|_{{1,2}}|\])?[ \t]*
    (?:
        :(?:[ \t]*(?:\*{{1,2}}|_{{1,2}}|\])(?=[ \t]|$))?
      | (?P<dash>[ \t]+[-–—]{{1,2}}(?=[ \t]))
    )
    [ \t]*(?P<value>.*)$""",
    re.VERBOSE,
)

# A rule between headers and story: ----, ****, ~~~, ====, ~*~*~, ____, * * *, -=-=-, oOoOo, xxx.
_SEPARATOR = re.compile(r"(?:[-=_~*#+.·•:<>|/\\^]\s*){3,}|[xX]{3,}|[oO0](?:[xX]?[oO0]){2,}")

# "by Katjen" under an unlabelled title line.
_BY_LINE = re.compile(r"(?P<label>(?:written\s+|a\s+story\s+|a\s+fic\s+)?by)\s*:?\s+"
                      r"(?P<value>\S.{0,79})", re.IGNORECASE)

_ENDS_LIKE_PROSE = re.compile(r"(?<!\.)[.,;][\"'”’)*_]*$")  # titles end in "?" or "!", not "."
_ENDS_WITH_STOP = re.compile(r"(?<!\.)[.!?][\"'”’)*_]*$")  # "." "!" "?" but not "..."

# "the door was locked." is a sentence; "Lyrics from the Bangles" is a header value.
_SENTENCE = re.compile(r"[a-z][^.!?]*\s\S+\s\S+.*[.!?…][\"'”’)*_]*")


@dataclass
class Header:
    label: str
    lines: list[str]
    field: str | None
    synthetic: bool = False  # found without a label (a bare title line)
    line: int = 0  # where it starts, counted in lines from the top

    @property
    def value(self) -> str:
        return "\n".join(self.lines).strip()


@dataclass
class HeaderBlock:
    headers: list[Header] = field(default_factory=list)
    body_start: int = 0  # offset in the text where the story (or epigraph) begins
    separator: bool = False  # the block ended at a rule line

    @property
    def found(self) -> bool:
        """A block counts when it names a known field or has two unknown labels."""
        return any(h.field for h in self.headers) or len(self.headers) >= 2


def is_separator(stripped: str) -> bool:
    # Most calls get prose; the length test spares the regex.
    return 0 < len(stripped) <= 80 and _SEPARATOR.fullmatch(stripped) is not None


def reads_like_sentence(value: str) -> bool:
    return _SENTENCE.fullmatch(value) is not None


def match_header(line: str, *, opens_paragraph: bool) -> Header | None:
    """The header on ``line`` (already stripped), or None when it is not one."""
    prefix = line[:_MAX_LABEL_CHARS]
    if ":" not in prefix and " -" not in prefix and " –" not in prefix and " —" not in prefix:
        return None  # the cheap test that spares most prose lines the regex
    match = _LABEL_LINE.match(line)
    if match is None:
        return None
    label, value = match["label"], match["value"].strip()
    key = label_key(label)
    name = field_for(key)
    if name is None:
        # Unknown labels are kept raw but must look like labels, not like prose or headings.
        if match["dash"] or key.split(" ")[0] in NOT_LABELS or not label[0].isupper():
            return None
        if opens_paragraph and reads_like_sentence(value):
            return None
    elif opens_paragraph and key in PROSE_PRONE and reads_like_sentence(value):
        return None
    opener = match["open"]
    if opener and opener != "[" and value.endswith(opener):
        value = value[: -len(opener)].rstrip()  # "*Title: Following*"
    return Header(label=label, lines=[value] if value else [], field=name)


class _Lines:
    """The head of the text as stripped lines: a small first chunk, the whole head on demand.

    Most header blocks fit in the first chunk, so most files never split more than that.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._read(_FIRST_CHUNK)

    def _read(self, size: int) -> None:
        head = self._text[:size]
        raw = head.split("\n", HEAD_LINES)
        self._more = len(raw) > HEAD_LINES or len(self._text) > len(head)
        if self._more:
            raw.pop()  # the remainder, or a line cut in half by the size limit
        self._more = self._more and size < HEAD_CHARS and len(raw) < HEAD_LINES
        self._raw = raw
        self._stripped = [line.strip() for line in raw]

    def has(self, i: int) -> bool:
        """Whether line ``i`` lies within the head."""
        if i < len(self._stripped):
            return True
        if self._more:
            self._read(HEAD_CHARS)
        return i < len(self._stripped)

    def stripped(self, i: int) -> str:
        return self._stripped[i] if self.has(i) else ""

    def offset(self, i: int) -> int:
        """Where line ``i`` starts in the text (just past the head when ``i`` is beyond it)."""
        return sum(map(len, self._raw[:i])) + i

    def next_nonblank(self, i: int) -> int:
        while self.has(i) and not self._stripped[i]:
            i += 1
        return i

    def paragraph_end(self, i: int) -> int:
        while self.has(i) and self._stripped[i]:
            i += 1
        return i


def _title_line(lines: _Lines, i: int) -> tuple[list[Header], int]:
    """An unlabelled title on the first line: above "by Author", or above labelled headers."""
    if not lines.has(i):
        return [], i
    title = lines.stripped(i)
    if (len(title) > 100 or is_separator(title) or _ENDS_LIKE_PROSE.search(title)
            or match_header(title, opens_paragraph=True)):
        return [], i
    found = Header("_title", [title], "title", synthetic=True, line=i)
    j = i + 1
    if lines.has(j) and not lines.stripped(j):
        j += 1
    by = _by_line(lines.stripped(j)) if lines.has(j) else None
    if by is not None:
        by.line = j
        return [found, by], j + 1
    j = lines.next_nonblank(i + 1)
    if j - i <= 3 and lines.has(j) and _known_header(lines.stripped(j)):
        return [found], j
    return [], i


def _by_line(line: str) -> Header | None:
    by = _BY_LINE.fullmatch(line)
    if by is None or reads_like_sentence(by["value"]):
        return None
    return Header(by["label"], [by["value"].strip()], "authors")


def scan_headers(text: str) -> HeaderBlock:
    """Find the header block at the top of ``text``; ``found`` is False when there is none."""
    lines = _Lines(text)
    i = lines.next_nonblank(0)
    if lines.has(i) and is_separator(lines.stripped(i)):
        i = lines.next_nonblank(i + 1)  # a decorative rule above the headers
    headers, i = _title_line(lines, i)
    block = HeaderBlock(headers)
    current: Header | None = None  # the header that the next line may continue
    opens_paragraph = True
    while lines.has(i):
        line = lines.stripped(i)
        if not line:
            current, opens_paragraph = None, True
            i += 1
            continue
        if is_separator(line):
            j = lines.next_nonblank(i + 1)
            # Headers may go on under a rule ("Title/Author ---- Summary ---- story").
            if (headers and lines.has(j) and _known_header(lines.stripped(j))
                    and not _note_opening_text(lines, j)):
                current, opens_paragraph, i = None, True, j
                continue
            block.separator = True
            i = j
            break
        header = match_header(line, opens_paragraph=opens_paragraph)
        if header is None and headers and headers[-1].field == "title":
            header = _by_line(line)  # "Title: Following" then "by Katjen"
        if header is not None:
            header.line = i
            headers.append(header)
            takes_more = header.field not in SINGLE_LINE_FIELDS or not header.lines
            current = header if takes_more else None
            opens_paragraph = False
            i += 1
            continue
        if current is not None and (len(line) <= _LONGEST_CONTINUATION or not current.lines):
            current.lines.append(line)
            i += 1
            continue
        end = lines.paragraph_end(i)
        if opens_paragraph and headers and not headers[-1].lines and _header_at(lines, end):
            # "Summary:" alone, a blank line, the summary, a blank line, more headers.
            headers[-1].lines = [lines.stripped(k) for k in range(i, end)]
            i = end
            continue
        break
    if not block.separator:
        i = _drop_trailing_speakers(headers, i)
    block.body_start = lines.offset(i)
    return block


def _drop_trailing_speakers(headers: list[Header], end: int) -> int:
    """Give unknown labels at the end of the block back to the story when they read as lines.

    A script-format story opens with "BUFFY: Hi." lines that look like unknown labels. Unknown
    labels after the last known one whose values end like sentences are taken for that; a
    rule line under the block is proof enough that they were headers, so it skips this.
    """
    k = len(headers)
    while k and headers[k - 1].field is None:
        k -= 1
    if k == len(headers) or not any(_ENDS_WITH_STOP.search(h.value) for h in headers[k:]):
        return end
    start = headers[k].line
    del headers[k:]
    return start


def _note_opening_text(lines: _Lines, i: int) -> bool:
    """Line ``i``, just under a rule, is an author's note that the story follows directly.

    "A/N: ..." under the rule that closes the header block opens the text: it is the first
    chapter's note (the header block had its chance to hold it above the rule). It stays a
    header only when more headers or another rule come after it, as in a block set between
    rules.
    """
    header = match_header(lines.stripped(i), opens_paragraph=True)
    if header is None or header.field != "notes":
        return False
    j = lines.next_nonblank(lines.paragraph_end(i))
    if not lines.has(j):
        return False  # nothing follows: a note that is all the text is a header
    after = lines.stripped(j)
    return not is_separator(after) and match_header(after, opens_paragraph=True) is None


def _known_header(line: str) -> bool:
    header = match_header(line, opens_paragraph=True)
    return header is not None and header.field is not None


def _header_at(lines: _Lines, i: int) -> bool:
    j = lines.next_nonblank(i)
    return lines.has(j) and match_header(lines.stripped(j), opens_paragraph=True) is not None
