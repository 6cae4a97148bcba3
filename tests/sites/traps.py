"""Fixed trap URLs every served site answers, plus the pages faults reuse.

They sit at the same paths on every site so crawler tests can name them without knowing the
site kind; each site links to them from somewhere a crawler will find them.
"""

from __future__ import annotations

from tests.sites.wire import Request, Response

OFFSITE = "http://offsite.invalid"

REDIRECT_LOOP = "/redirect-loop"  # 302 -> ?hop=1 -> ?hop=2 -> back to the start, forever
OFFSITE_REDIRECT = "/offsite-redirect"  # 302 to another host
ERROR_PAGE = "/error-page"  # an error message served with status 200
LOGIN_PAGE = "/login-required"  # a login form served with status 200

TRAPS: dict[str, str] = {
    "redirect_loop": REDIRECT_LOOP,
    "offsite_redirect": OFFSITE_REDIRECT,
    "error_page": ERROR_PAGE,
    "login_page": LOGIN_PAGE,
}

_LOOP_LENGTH = 3


def error_page_html() -> str:
    """What an overloaded PHP archive really serves: an error message, status 200."""
    return (
        "<html><head><title>Database Error</title></head><body>\n"
        "<h1>A database error occurred</h1>\n"
        "<p class='errortext'>Query failed: Too many connections (1040)</p>\n"
        "<p>Please try again in a few minutes.</p>\n"
        "</body></html>\n"
    )


def login_form_html(message: str = "You must be logged in to view this page.") -> str:
    return (
        "<html><head><title>Member Login</title></head><body>\n"
        f"<div id='pagetitle'>Member Login</div>\n<div class='errortext'>{message}</div>\n"
        "<form method='POST' id='loginblock' action='user.php?action=login'>"
        "<label for='penname'>Penname:</label>"
        "<input type='text' class='textbox' name='penname' id='penname' size='15'> "
        "<label for='password'>Password:</label>"
        "<input type='password' class='textbox' name='password' id='password' size='15'> "
        "<input type='submit' class='button' name='submit' value='Go'></form>\n"
        "</body></html>\n"
    )


def trap_response(request: Request) -> Response | None:
    """The trap page for ``request``, or None when the path is not a trap."""
    path = request.path
    if path == REDIRECT_LOOP:
        hop = request.int_arg("hop", 0) or 0
        following = (hop + 1) % _LOOP_LENGTH
        return Response.redirect(REDIRECT_LOOP + (f"?hop={following}" if following else ""))
    if path == OFFSITE_REDIRECT:
        return Response.redirect(f"{OFFSITE}/viewstory.php?sid=1")
    if path == ERROR_PAGE:
        return Response.html(error_page_html(), cacheable=False)
    if path == LOGIN_PAGE:
        return Response.html(login_form_html(), cacheable=False)
    return None
