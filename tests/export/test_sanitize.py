"""The one HTML policy: nothing that runs, nothing that fetches, story markup kept."""

from __future__ import annotations

from export_stories import SCRIPT_HTML
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from fanarchive.export.sanitize import chapter_html, clean_html, text_to_html, to_xhtml
from fanarchive.story import Chapter


def test_scripts_handlers_and_javascript_urls_are_removed() -> None:
    out = clean_html(SCRIPT_HTML)
    lowered = out.lower()
    for bad in ("<script", "alert(", "onclick", "onerror", "onload", "javascript:", "<iframe",
                "<form", "<input", "<link", "<style", "<svg", "url("):
        assert bad not in lowered, bad
    assert "http://tracker.example" not in out and "evil.example" not in out
    assert "<b>reader</b>" in out and "<i>safe</i>" in out
    assert 'style="color:red"' in out
    assert '<img alt="a picture">' in out  # the alt text stays, the request goes
    assert 'href="http://elsewhere.example/"' in out and "nofollow" in out


def test_tricky_urls_and_css() -> None:
    cases = [
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<a href="//evil.example/x">x</a>',
        '<p style="background:url(http://evil.example/a.png)">x</p>',
        '<p style="list-style-image:url(http://evil.example/a.png)">x</p>',
        '<p style="behavior:url(x.htc);color:blue">x</p>',
        '<font face="x;background:url(http://evil.example)">x</font>',
        '<table background="http://evil.example/bg.png"><tr><td>x</td></tr></table>',
        '<object data="http://evil.example/o.swf"></object><embed src="http://evil.example">',
        '<video src="http://evil.example/v.mp4"></video><audio src="http://evil.example/a">',
        '<meta http-equiv="refresh" content="0;url=http://evil.example"><base href="http://e/">',
        '<math><mi xlink:href="http://evil.example">x</mi></math>',
    ]
    for case in cases:
        out = clean_html(case).lower()
        assert "evil.example" not in out, case
        for bad in ("javascript", "vbscript", "data:", "url(", "<meta", "<base", "<object"):
            assert bad not in out, (case, out)


def test_text_becomes_escaped_paragraphs() -> None:
    html = text_to_html("One <b>&amp;\nline two\n\n\n  Para two\r\n\x00")
    assert html == "<p>One &lt;b&gt;&amp;amp;<br>line two</p>\n<p>  Para two</p>"


def test_chapter_prefers_its_markup_and_falls_back_to_text() -> None:
    assert chapter_html(Chapter(1, "plain", html="<p><em>marked</em></p>")) == \
        "<p><em>marked</em></p>"
    # Markup that sanitizes to nothing (a script only) must not lose the words.
    assert chapter_html(Chapter(1, "the words", html="<script>x()</script>")) == \
        "<p>the words</p>"


def _well_formed(fragment: str) -> bool:
    etree.fromstring(f"<div>{to_xhtml(fragment)}</div>".encode())
    return True


def test_xhtml_is_well_formed_for_broken_html() -> None:
    for junk in ("<p>unclosed <b>bold <i>both</p>", "a < b & c > d", "<br><hr><img alt=x>",
                 "<table><td>cell</table>", "text\x00with\x0bcontrols", "]]> <![CDATA[ x"):
        assert _well_formed(clean_html(junk))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_gives_safe_well_formed_markup(text: str) -> None:
    for html in (text_to_html(text), clean_html(text), clean_html(text_to_html(text))):
        assert "<script" not in html.lower()
        assert _well_formed(html)
