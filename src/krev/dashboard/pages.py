"""The dashboard's pages: where each lives, its title, and the module that drives it.

One table serves the routes, the navigation and the screenshots script, so a page added here
appears in all three.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str  # the template (templates/<name>.html) and the module (static/js/pages/<name>.js)
    path: str
    title: str
    nav: str | None = None  # the navigation group it is listed under; None: not listed


PAGES: tuple[Page, ...] = (
    Page("credits", "/dashboard", "Credits & usage", nav="Account"),
    Page("products", "/dashboard/products", "Products", nav="Create"),
    Page("generations", "/dashboard/generations", "Generations", nav="Create"),
    Page("playground", "/dashboard/playground", "Playground", nav="Create"),
    Page("chat", "/dashboard/chat", "Chat", nav="Create"),
    Page("keys", "/dashboard/settings/keys", "API keys", nav="Settings"),
    Page("pixel", "/dashboard/settings/pixel", "Meta pixel", nav="Settings"),
    Page("password", "/dashboard/settings/password", "Password", nav="Settings"),
)

LOGIN = Page("login", "/dashboard/login", "Log in")
BY_NAME = {page.name: page for page in (*PAGES, LOGIN)}


def nav_groups() -> list[tuple[str, list[Page]]]:
    groups: dict[str, list[Page]] = {}
    for page in PAGES:
        if page.nav is not None:
            groups.setdefault(page.nav, []).append(page)
    order = ("Create", "Account", "Settings")
    return [(name, groups[name]) for name in order if name in groups]
