"""The static site's page frame and style sheet, kept in Python so the wheel ships them.

The frame carries a Content-Security-Policy that allows nothing but the site's own style sheet:
even if a story's HTML slipped past the sanitizer, the browser would refuse to run a script,
load an image, a font or a frame, or submit a form anywhere.
"""

from __future__ import annotations

from fanarchive.export.sanitize import escape

CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'none'")

CSS = """:root { color-scheme: light dark; --muted: #666; --line: #ccc; }
@media (prefers-color-scheme: dark) { :root { --muted: #aaa; --line: #444; } }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { font: 1.05rem/1.6 Georgia, "Times New Roman", serif; max-width: 42rem;
       margin: 0 auto; padding: 0 1rem 3rem; overflow-wrap: break-word; }
header.site { border-bottom: 1px solid var(--line); padding: .6rem 0; margin-bottom: 1rem;
              font-family: system-ui, sans-serif; font-size: .95rem; }
header.site a { margin-right: .8em; display: inline-block; padding: .2em 0; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 1rem 0 .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
.byline { font-style: italic; margin-top: 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem;
          font-family: system-ui, sans-serif; font-size: .9rem; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
dl.raw dt { font-weight: bold; }
dl.raw dd { margin: 0 0 .3rem 1rem; }
section.epigraph blockquote { font-style: italic; }
section.sources, section.flags, section.headers, section.revisions { font-size: .85rem;
  color: var(--muted); }
nav.toc ol { padding-left: 1.4rem; }
section.chapter { border-top: 1px solid var(--line); margin-top: 2rem; }
.chapter-notes, .end-notes { border-left: 3px solid var(--line); padding-left: .8rem;
  font-size: .95rem; }
ul.works { list-style: none; padding: 0; }
ul.works li { border-bottom: 1px solid var(--line); padding: .6rem 0; }
ul.works .info { font-family: system-ui, sans-serif; font-size: .85rem; color: var(--muted); }
ul.works .summary { margin: .3rem 0 0; font-size: .95rem; }
ul.names { columns: 16rem; padding-left: 1.2rem; }
.pages { font-family: system-ui, sans-serif; margin: 1rem 0; }
.pages a, .pages strong { margin-right: .6em; display: inline-block; }
.missing { font-style: italic; color: var(--muted); }
img { max-width: 100%; height: auto; }
table { display: block; max-width: 100%; overflow-x: auto; border-collapse: collapse; }
pre { white-space: pre-wrap; }
footer { margin-top: 3rem; font-size: .8rem; color: var(--muted); }
"""


def page(title: str, body: str, root: str, lang: str = "en") -> str:
    """A complete page; ``root`` is the relative path back to the site folder ("" or "../")."""
    nav = "".join(f'<a href="{root}{href}">{label}</a>' for href, label in (
        ("index.html", "Home"), ("titles/1.html", "Titles"), ("authors/index.html", "Authors"),
        ("fandoms/index.html", "Fandoms"), ("ratings/index.html", "Ratings")))
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}</title>\n"
        # An empty icon: otherwise the browser asks the server root for /favicon.ico.
        '<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{root}style.css">\n</head>\n<body>\n'
        f'<header class="site"><nav>{nav}</nav></header>\n<main>\n{body}\n</main>\n'
        "<footer>A static copy made with fanarchive. No scripts, no tracking, nothing "
        "loaded from elsewhere.</footer>\n</body>\n</html>\n"
    )
