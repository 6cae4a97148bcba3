"""HTML templates of the eFiction 3.5-like site.

Markup follows pages recorded from live eFiction archives (see
/work/shared/samples/efiction-html/): ``#pagetitle``, ``<span class="label">`` metadata blocks,
loose ``<p><b>N. <a ...>`` chapter lists, ``div.infobox``/``.chaptertitle``/``.notes``/
``div.chapter`` in the printer view and the ``errortext`` age-consent interstitial. Quirks of
the real pages (unclosed-looking label runs, single-quoted hrefs, ``&amp;`` in query strings,
"Read:" counters) are kept on purpose: parsers have to survive them.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tests.sites.content import AGE_CONSENT, ArchiveModel, Chapter, Story
from tests.sites.markup import esc, join_links, qs
from tests.sites.traps import ERROR_PAGE, LOGIN_PAGE, OFFSITE, OFFSITE_REDIRECT, REDIRECT_LOOP

GENERATOR = "eFiction 3.5.3"
AUTHOR_NOTES = "Author's Notes:"


@dataclass
class PageContext:
    model: ArchiveModel
    date_format: str
    generator_meta: bool
    session_id: str | None  # appended to story links, as PHP's trans_sid does
    base_url: str
    popups: bool = False  # rated stories' title links are javascript confirm() popups
    title_listing: bool = True  # browse.php?type=titles exists and the menus link it
    printer_view: bool = True  # viewstory.php?action=printable exists (print icons shown)

    def day(self, value: date) -> str:
        return value.strftime(self.date_format)

    def story_href(self, sid: int, **extra: object) -> str:
        params: dict[str, object] = {"sid": sid, **extra}
        if self.session_id:
            params["PHPSESSID"] = self.session_id
        return "viewstory.php?" + qs(**params)


# ---- layout -------------------------------------------------------------------------------


def layout(ctx: PageContext, title: str, content: str, *, description: str | None = None,
           generator: bool = True) -> str:
    head = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" "
    head += "\"http://www.w3.org/TR/html4/loose.dtd\"><html><head>"
    if description is not None:
        head += f"<meta name='description' content='{esc(description)}'>"
    head += f"<title>{esc(title)}</title>\n"
    head += '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
    if generator and ctx.generator_meta:
        head += f'<meta name="generator" content="{GENERATOR}">'
    head += '<script language="javascript" type="text/javascript" src="includes/javascript.js">'
    head += "</script>\n"
    head += f'<link rel="alternate" type="application/rss+xml" title="{esc(ctx.model.site_name)}'
    head += ' RSS Feed" href="rss.php">'
    head += "<link rel='stylesheet' type='text/css' href='skins/Light/style.css' />\n</head>\n"
    return (
        f"{head}<body>\n{_menu(ctx)}\n<div id=\"container\">\n<div id=\"mainpage\">\n"
        f"<div id=\"leftindex\">\n<div id=\"sitename\">{esc(ctx.model.site_name)}</div>\n"
        f"{_login_block()}\n</div>\n"
        f"<div id=\"middleindex\">\n<div id=\"skinny\">\n{content}\n</div>\n</div>\n</div>\n"
        f"{_footer()}\n</div>\n</body>\n</html>\n"
    )


def _menu(ctx: PageContext) -> str:
    items = [
        ("index.php", "Home"), ("browse.php?type=recent", "Most Recent"),
        ("browse.php", "Browse"), ("browse.php?type=titles", "Titles"),
        ("browse.php?type=categories", "Categories"), ("authors.php?list=authors", "Authors"),
        ("browse.php?type=series", "Series"), ("calendar.php", "Calendar"),
        ("user.php?action=login", "Login"),
    ]
    if not ctx.title_listing:
        items = [item for item in items if item[1] != "Titles"]
    lis = "\n".join(f'<li><a href="{href}" title="{text}">{text}</a></li>' for href, text in items)
    return f'<div id="menu">\n<ul id="menulist">\n{lis}\n</ul>\n</div>'


def _login_block() -> str:
    return (
        '<form method="POST" id="loginblock" enctype="multipart/form-data" '
        'action="user.php?action=login"><label for="penname">Penname:</label>'
        '<INPUT type="text" class="textbox" name="penname" id="penname" size="15"> '
        '<label for="password">Password:</label><INPUT type="password" class="textbox" '
        'name="password" id="password" size="15"> <INPUT type="submit" class="button" '
        'name="submit" value="Go"></form>'
    )


def _footer() -> str:
    return (
        '<div id="footer"><p><u>Disclaimer:</u> All publicly recognizable characters, settings, '
        "etc. are the property of their respective owners. No money is being made from this "
        f'work.</p><p>Powered by <a href="{OFFSITE}/efiction/">eFiction</a> | '
        f'<a href="{OFFSITE}/webring/next.php?from=lantern">Next site in the Fandom Webring</a>'
        ' | <a href="admin.php">Admin</a></p></div>'
    )


def login_page(ctx: PageContext, message: str) -> str:
    content = (
        "<div id='pagetitle'>Member Login</div>"
        f"<div class='errortext'>{esc(message)}</div>\n{_login_block()}"
    )
    return layout(ctx, f"{ctx.model.site_name} - Login", content)


# ---- story metadata blocks ----------------------------------------------------------------


def _series_value(ctx: PageContext, story: Story, links: bool) -> str:
    found = ctx.model.series_of(story.sid)
    if found is None:
        return "None"
    series, _part = found
    if not links:
        return esc(series.title)
    return f"<a href=\"viewseries.php?seriesid={series.seriesid}\">{esc(series.title)}</a>"


def _class_rows(ctx: PageContext, story: Story, links: bool) -> str:
    rows = []
    for type_title, found in (("Genre", ctx.model.genres_of(story)),
                              ("Warnings", ctx.model.warnings_of(story))):
        if links:
            value = join_links(
                (f"browse.php?{qs(type='class', type_id=c.type_id, classid=c.classid)}", c.name)
                for c in found
            )
        else:
            value = ", ".join(esc(c.name) for c in found) or "None"
        rows.append(f"<span class='label'>{type_title}: </span> {value}<br />")
    return "".join(rows)


def meta_block(ctx: PageContext, story: Story, *, links: bool = True,
               rated_inside: bool = True) -> str:
    """The ``<div class="content">`` label run shared by listings, the index and print view."""
    model = ctx.model
    categories = join_links(
        (f"browse.php?{qs(type='categories', catid=c)}", model.categories[c].name)
        for c in story.catids
    )
    if links:
        characters = join_links(
            (f"browse.php?{qs(type='characters', charid=c)}", model.characters[c].name)
            for c in story.charids
        )
    else:
        characters = ", ".join(esc(model.characters[c].name) for c in story.charids) or "None"
    rated = ""
    if rated_inside:
        rated = f'<span class="label">Rated:</span> {esc(model.rating_of(story).name)}<br />\n'
    return (
        f'<div class="content"><span class="label">Summary: </span>{story.summary}<br />\n'
        f"{rated}"
        f'<span class="label">Categories:</span> {categories} '
        f'<span class="label">Characters: </span> {characters}<br />\n'
        f"{_class_rows(ctx, story, links)}\n"
        '<span class="label">Challenges:</span> None<br /> '
        f'<span class="label">Series:</span> {_series_value(ctx, story, links)}<br />\n'
        f'<span class="label">Chapters: </span> {len(story.chapters)} '
        f'<span class="label">Completed:</span> {"Yes" if story.completed else "No"} <br /> \n'
        f'<span class="label">Word count:</span> {story.word_count} '
        f'<span class="label">Read:</span> {story.reads}<br />\n'
        f'<span class="label"> Published: </span>{ctx.day(story.published)} '
        f'<span class="label">Updated:</span> {ctx.day(story.updated)} </div>'
    )


def _byline(ctx: PageContext, story: Story, title_link: str | None = None) -> str:
    author = ctx.model.author_of(story)
    href = title_link or f"viewstory.php?sid={story.sid}"
    return (
        f'<a href="{href}">{esc(story.title)}</a> by '
        f'<a href="viewuser.php?uid={author.uid}">{esc(author.penname)}</a>'
    )


def _reviews(story: Story, chapter: Chapter | None = None) -> str:
    params = {"type": "ST", "item": story.sid}
    if chapter is not None:
        params["chapid"] = chapter.chapid
    href = "reviews.php?" + qs(**params)
    count = chapter.reviews if chapter is not None else story.reviews
    return f'[<a href="{href}">Reviews</a> - <a href="{href}">{count}</a>]'


def title_href(ctx: PageContext, story: Story) -> str:
    """The story's link in listings: eFiction's ``title_link()``.

    With popups (eFiction's ``disablepopups`` off) a rated story's link is a javascript
    confirm() whose location carries the consent the interstitial would ask for
    (``&ageconsent=ok&warning=<rid>`` or ``&warning=<rid>``); otherwise a plain link, and the
    story page shows the interstitial.
    """
    rating = ctx.model.rating_of(story)
    if not ctx.popups or not rating.warning_level:
        return ctx.story_href(story.sid)
    if rating.warning_level & AGE_CONSENT:
        location = f"viewstory.php?sid={story.sid}&amp;ageconsent=ok&amp;warning={rating.rid}"
        message = f"Age Consent Required - {rating.warning_text}"
    else:
        location = f"viewstory.php?sid={story.sid}&amp;warning={rating.rid}"
        message = rating.warning_text
    message = esc(message).replace("&#x27;", "\\&#x27;")
    return f"javascript:if(confirm('{message}')) location = '{location}'"


def story_block(ctx: PageContext, story: Story) -> str:
    """One story in a browse listing, author page or series page."""
    rating = ctx.model.rating_of(story).name
    title = (
        f'<div class="title">{_byline(ctx, story, title_href(ctx, story))} '
        f'<span class="label">Rated:</span> {esc(rating)} {_reviews(story)}</div>'
    )
    block = meta_block(ctx, story, rated_inside=False)
    return f'<div class="listbox">\n{title}\n{block}\n</div>'


def page_links(base: str, offset: int, total: int, per_page: int) -> str:
    if total <= per_page:
        return ""
    pages = -(-total // per_page)
    current = offset // per_page
    parts = []
    if current > 0:
        parts.append(f'<a href="{base}&amp;offset={(current - 1) * per_page}" id="plprev">'
                     "[Previous]</a>")
    for page in range(pages):
        if page == current:
            parts.append(f'<span class="currentpage">{page + 1}</span>')
        else:
            parts.append(f'<a href="{base}&amp;offset={page * per_page}">{page + 1}</a>')
    if current < pages - 1:
        parts.append(f'<a href="{base}&amp;offset={(current + 1) * per_page}" id="plnext">'
                     "[Next]</a>")
    return '<div id="pagelinks">' + " ".join(parts) + "</div>"


def listing(ctx: PageContext, heading: str, stories: list[Story], base: str, offset: int,
            per_page: int) -> str:
    shown = stories[offset:offset + per_page]
    blocks = "\n".join(story_block(ctx, s) for s in shown) or "<div class='errortext'>"
    if not shown:
        blocks += "No stories found.</div>"
    nav = page_links(base, offset, len(stories), per_page)
    content = f'<div id="pagetitle">{esc(heading)}</div>\n{nav}\n{blocks}\n{nav}'
    return layout(ctx, f"{ctx.model.site_name} - {heading}", content)


# ---- site pages ---------------------------------------------------------------------------


def home(ctx: PageContext) -> str:
    model = ctx.model
    recent = "\n".join(story_block(ctx, s) for s in model.recent(10))
    stats = (
        "<div id='infoblock'>"
        f"<div><span class='label'>Members: </span>{len(model.authors)}</div>"
        f"<div><span class='label'>Series: </span>{len(model.series)}</div>"
        f"<div><span class='label'>Stories: </span>{len(model.visible_stories())}</div>"
        f"<div><span class='label'>Chapters: </span>"
        f"{sum(len(s.chapters) for s in model.visible_stories())}</div>"
        f"<div><span class='label'>Authors: </span>"
        f"{len({s.uid for s in model.visible_stories()})}</div></div>"
    )
    links = (
        "<h3>Links</h3><ul class='links'>"
        f"<li><a href=\"{OFFSITE_REDIRECT.lstrip('/')}\">Our sister archive</a></li>"
        f"<li><a href=\"{REDIRECT_LOOP.lstrip('/')}\">Old forum</a></li>"
        f"<li><a href=\"{ERROR_PAGE.lstrip('/')}\">Site statistics</a></li>"
        f"<li><a href=\"{LOGIN_PAGE.lstrip('/')}\">Members area</a></li>"
        "<li><a href=\"reviews.php?type=ST&amp;item=0\">Latest reviews</a></li>"
        "</ul>"
    )
    content = (
        f'<div id="pagetitle">Welcome to {esc(model.site_name)}</div>\n'
        f"<div class='welcome'>Rescued stories from the good old days.</div>\n{stats}\n"
        f"<h3>Most Recent</h3>\n{recent}\n{links}"
    )
    return layout(ctx, model.site_name, content)


def browse_menu(ctx: PageContext) -> str:
    items = [("browse.php?type=titles", "Titles"), ("browse.php?type=categories", "Categories"),
             ("browse.php?type=recent", "Most Recent"), ("browse.php?type=series", "Series"),
             ("authors.php?list=authors", "Authors")]
    if not ctx.title_listing:
        items = items[1:]
    lis = "".join(f'<li><a href="{h}">{t}</a></li>' for h, t in items)
    return layout(ctx, f"{ctx.model.site_name} - Browse",
                  f'<div id="pagetitle">Browse</div><ul id="browselist">{lis}</ul>')


def category_list(ctx: PageContext) -> str:
    model = ctx.model
    rows = []
    for cat in model.categories.values():
        count = sum(1 for s in model.visible_stories() if cat.catid in s.catids)
        rows.append(
            f'<div class="column"> <a href="browse.php?{qs(type="categories", catid=cat.catid)}">'
            f"{esc(cat.name)}</a> [{count}] <div><small>{esc(cat.description)}</small></div>"
            "</div>"
        )
    content = '<div id="pagetitle">Categories</div><div id="browseblock">' + "".join(rows)
    return layout(ctx, f"{model.site_name} - Categories", content + "</div>")


def series_list(ctx: PageContext) -> str:
    model = ctx.model
    rows = []
    for series in model.series.values():
        owner = model.authors[series.uid]
        rows.append(
            f'<div class="listbox"><div class="title"><a href="viewseries.php?seriesid='
            f'{series.seriesid}">{esc(series.title)}</a> by <a href="viewuser.php?uid='
            f'{owner.uid}">{esc(owner.penname)}</a></div><div class="content">'
            f'<span class="label">Summary: </span>{series.summary}</div></div>'
        )
    content = '<div id="pagetitle">Series</div>' + "\n".join(rows)
    return layout(ctx, f"{model.site_name} - Series", content)


def authors_list(ctx: PageContext) -> str:
    model = ctx.model
    rows = []
    for author in sorted(model.authors.values(), key=lambda a: a.penname.casefold()):
        count = len(model.stories_by(author.uid))
        rows.append(f'<li><a href="viewuser.php?uid={author.uid}">{esc(author.penname)}</a> '
                    f"[{count}]</li>")
    content = '<div id="pagetitle">Authors</div><ul id="authorlist">' + "".join(rows) + "</ul>"
    return layout(ctx, f"{model.site_name} - Authors", content)


def user_page(ctx: PageContext, uid: int) -> str:
    model = ctx.model
    author = model.authors[uid]
    stories = model.stories_by(uid)
    blocks = "\n".join(story_block(ctx, s) for s in stories)
    content = (
        f'<div id="pagetitle">{esc(author.penname)}</div>\n<div id="bio">'
        f'<span class="label">Penname: </span>{esc(author.penname)} '
        f'(<a href="contact.php?action=contact&amp;uid={uid}">Contact</a>)<br />\n'
        f'<span class="label">Real name: </span>{esc(author.realname)}<br />\n'
        f'<span class="label">Bio: </span>{author.bio}</div>\n'
        f'<div class="sectionheader">Stories by {esc(author.penname)} [{len(stories)}]</div>\n'
        f"{blocks}"
    )
    return layout(ctx, f"{model.site_name} - {author.penname}", content)


def series_page(ctx: PageContext, seriesid: int) -> str:
    model = ctx.model
    series = model.series[seriesid]
    owner = model.authors[series.uid]
    parts = [model.story(s) for s in series.sids if model.visible(s)]
    blocks = "\n".join(
        f'<div class="seriespart"><b>Part {n}.</b></div>\n{story_block(ctx, s)}'
        for n, s in enumerate(parts, start=1)
    )
    content = (
        f'<div id="pagetitle">{esc(series.title)} by <a href="viewuser.php?uid={owner.uid}">'
        f"{esc(owner.penname)}</a></div>\n<div class=\"content\">"
        f'<span class="label">Summary: </span>{series.summary}<br />\n'
        f'<span class="label">Parts:</span> {len(parts)}</div>\n{blocks}'
    )
    return layout(ctx, f"{model.site_name} - {series.title}", content)


def calendar_page(ctx: PageContext, year: int, month: int) -> str:
    """An endless archive calendar: every month links to the next one, forever."""
    prev_y, prev_m = (year - 1, 12) if month == 1 else (year, month - 1)
    next_y, next_m = (year + 1, 1) if month == 12 else (year, month + 1)
    days = calendar.monthrange(year, month)[1]
    cells = "".join(f"<td>{d}</td>" for d in range(1, days + 1))
    content = (
        f'<div id="pagetitle">{calendar.month_name[month]} {year}</div>\n'
        f'<a href="calendar.php?{qs(year=prev_y, month=prev_m)}">&laquo; Previous</a> | '
        f'<a href="calendar.php?{qs(year=next_y, month=next_m)}">Next &raquo;</a>\n'
        f"<table class='calendar'><tr>{cells}</tr></table>"
    )
    return layout(ctx, f"{ctx.model.site_name} - Calendar", content)


def simple_page(ctx: PageContext, title: str, body: str) -> str:
    return layout(ctx, title, f'<div id="pagetitle">{esc(title)}</div>\n{body}')


# ---- story pages --------------------------------------------------------------------------


def _description(story: Story) -> str:
    return story.summary


def gate_page(ctx: PageContext, story: Story, continue_href: str, text: str) -> str:
    """The interstitial eFiction shows instead of a rated story (cf. narutofic sample)."""
    author = ctx.model.author_of(story)
    content = (
        f"<div id='pagetitle'>{esc(story.title)}</div><div style='text-align: center; "
        f"margin: 1em;' class='errortext'>{esc(text)}<br />"
        f"<a href='{continue_href}'>Continue</a></div>"
    )
    return layout(ctx, f"{story.title} by {author.penname}", content,
                  description=_description(story), generator=False)


def members_only_page(ctx: PageContext, story: Story) -> str:
    author = ctx.model.author_of(story)
    content = (
        f"<div id='pagetitle'>{esc(story.title)}</div><div class='errortext'>This story is "
        "only available to registered members. Please log in or "
        "<a href='user.php?action=register'>register</a>.</div>\n" + _login_block()
    )
    return layout(ctx, f"{story.title} by {author.penname}", content, generator=False)


def _chapter_body(story: Story, chapter: Chapter) -> str:
    if story.br_paragraphs:
        return "<br />\n<br />\n".join(chapter.paragraphs)
    return "\n".join(f"<p>{p}</p>" for p in chapter.paragraphs)


def _notes(label: str, html: str | None) -> str:
    if not html:
        return ""
    return (
        f"<div class='notes'><div class='title'><span class='label'>{label}</div>"
        f"<div class='noteinfo'>{html}</div></div>\n"
    )


def story_index(ctx: PageContext, story: Story) -> str:
    """``viewstory.php?sid=X&index=1``: metadata plus the loose chapter list."""
    author = ctx.model.author_of(story)
    printable = f"viewstory.php?{qs(action='printable', textsize=0, sid=story.sid, chapter='all')}"
    chapters = "\n".join(
        f'      <p><b>{c.number}. <a href="viewstory.php?{qs(sid=story.sid, chapter=c.number)}">'
        f"{esc(c.title)}</a> </b>by <a href='viewuser.php?uid={author.uid}'>"
        f"{esc(author.penname)}</a> {_reviews(story, c)}  ({c.word_count} words)<br />\n"
        f"\t{c.notes or ''}</p>"
        for c in story.chapters
    )
    content = (
        f'<div id="pagetitle">{_byline(ctx, story)}</div>\n'
        f'<div id="sort">   {_reviews(story)} {_print_icon(ctx, printable)}</div>\n'
        f'<div id="output">\n<div class="jumpmenu"></div>\n<div class="listbox">\n'
        f"{meta_block(ctx, story)}\n</div>\n"
        f"{_notes('Story Notes:', story.notes)}"
        f"<div style='text-align: center;'></div>\n{chapters}\n"
        '<div id="pagelinks"><div class="jumpmenu"></div></div>\n</div>'
    )
    return layout(ctx, f"{story.title} by {author.penname}", content,
                  description=_description(story), generator=False)


def _print_icon(ctx: PageContext, href: str) -> str:
    if not ctx.printer_view:
        return ""
    return (f'<a href="{href}" target="_blank">'
            "<img src='images/print.gif' border='0' alt='Printer'></a>")


def _jump_menu(story: Story, current: int) -> str:
    options = "".join(
        f"<option value='{c.number}'{' selected' if c.number == current else ''}>"
        f"{c.number}. {esc(c.title)}</option>"
        for c in story.chapters
    )
    return (
        "<div class=\"jumpmenu\"><form name=\"jump\" action=\"\"><select name=\"chapter\" "
        f"onChange=\"document.location = 'viewstory.php?sid={story.sid}&amp;chapter=' + "
        f"this.options[this.selectedIndex].value;\">{options}</select></form></div>"
    )


def chapter_page(ctx: PageContext, story: Story, chapter: Chapter) -> str:
    """The normal reading view of one chapter (no metadata block; that is on the index)."""
    author = ctx.model.author_of(story)
    sid, n = story.sid, chapter.number
    printable = f"viewstory.php?{qs(action='printable', textsize=0, sid=sid, chapter=n)}"
    nav = []
    if n > 1:
        nav.append(f'<a href="viewstory.php?{qs(sid=sid, chapter=n - 1)}" class="prev">'
                   "Previous</a>")
    if n < len(story.chapters):
        nav.append(f'<a href="viewstory.php?{qs(sid=sid, chapter=n + 1)}" class="next">'
                   "Next</a>")
    story_notes = _notes("Story Notes:", story.notes) if n == 1 else ""
    content = (
        f'<div id="pagetitle">{_byline(ctx, story)}</div>\n'
        f'<div id="sort"><a href="viewstory.php?{qs(sid=sid, index=1)}">Table of Contents</a> '
        f'{_reviews(story, chapter)} {_print_icon(ctx, printable)}</div>\n'
        f"{_jump_menu(story, n)}\n{story_notes}"
        f"<div class='chaptertitle'>{esc(chapter.title)} by {esc(author.penname)}</div>\n"
        f"{_notes(AUTHOR_NOTES, chapter.notes)}"
        f'<div id="story"><span style="font-size: 100%;">{_chapter_body(story, chapter)}'
        "</span></div>\n"
        f"{_notes('End Notes:', chapter.end_notes)}"
        f'<div id="pagelinks">{" ".join(nav)}</div>\n'
        f"<div class=\"respond\">[<a href=\"reviews.php?"
        f"{qs(action='add', type='ST', item=sid, chapid=chapter.chapid)}\">Submit a review</a>]"
        "</div>"
    )
    return layout(ctx, f"{story.title} by {author.penname}", content,
                  description=_description(story), generator=False)


def printable(ctx: PageContext, story: Story, chapters: Iterable[Chapter]) -> str:
    """The printer view (cf. giantessworld sample): infobox, then every requested chapter."""
    author = ctx.model.author_of(story)
    parts = []
    for chapter in chapters:
        parts.append(
            f"<div class='chaptertitle'>{esc(chapter.title)} by {esc(author.penname)}</div>\n"
            f"{_notes(AUTHOR_NOTES, chapter.notes)}"
            f"<div class='chapter'>{_chapter_body(story, chapter)}</div>\n"
            f"{_notes('End Notes:', chapter.end_notes)}<div class='toplink'></div>\n"
        )
    archived = f"{ctx.base_url}/viewstory.php?sid={story.sid}"
    title = f"{story.title} by {author.penname}"
    return (
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" "
        "\"http://www.w3.org/TR/html4/loose.dtd\"><html><head>"
        f"<meta name='description' content='{esc(_description(story))}'>"
        f"<title>{esc(title)}</title>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<link rel="stylesheet" type="text/css" href="skins/Light/printable.css">'
        "<script type='text/javascript'>\n<!--\nif (window.print) {\n    window.print() ;\n}\n"
        "-->\n</script></head>\n"
        f'<div id="pagetitle">{_byline(ctx, story)}</div>\n'
        f'<div class="infobox">\n{meta_block(ctx, story, links=False)}\n</div>\n'
        f"{_notes('Story Notes:', story.notes)}"
        + "".join(parts)
        + '<div id="copyright"><u>Disclaimer:</u>  All publicly recognizable characters and '
        "settings are the property of their respective owners.</div>\n"
        f'<div id="archivedat">This story archived at <a href="{archived}">{archived}</a></div>'
        "\n"
    )
