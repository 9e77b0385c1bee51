"""Find elements in rendered HTML, for tests of templates without a browser.

Why not string matching: attribute order, whitespace and quoting are free in HTML, so
tests that grep the markup fail for the wrong reasons. Django's own test parser
(django.test.html) gives a tree; these helpers query it.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.test.html import Element, parse_html


def parse(html: str) -> Element:
    """The rendered HTML as a tree (several top-level nodes are wrapped in one root)."""
    return parse_html(html)


def walk(node: Element) -> Iterator[Element]:
    """Every element under node, node first, in document order."""
    yield node
    for child in node.children:
        if isinstance(child, Element):
            yield from walk(child)


def attrs(element: Element) -> dict[str, str | None]:
    """The element's attributes; a boolean attribute (checked, hidden) maps to None."""
    return dict(element.attributes)


def classes(element: Element) -> set[str]:
    return set((attrs(element).get("class") or "").split())


def find_all(root: Element, tag: str, css_class: str | None = None, **wanted: str) -> list[Element]:
    """Elements named tag, with css_class among their classes and the wanted attributes.

    Attribute names use underscores for dashes: ``aria_describedby="x"``.
    """
    found = []
    for element in walk(root):
        if element.name != tag:
            continue
        if css_class and css_class not in classes(element):
            continue
        element_attrs = attrs(element)
        if all(element_attrs.get(k.replace("_", "-")) == v for k, v in wanted.items()):
            found.append(element)
    return found


def find(root: Element, tag: str, css_class: str | None = None, **wanted: str) -> Element:
    """The one element that matches; fails if there are none or several."""
    found = find_all(root, tag, css_class, **wanted)
    assert len(found) == 1, f"expected one <{tag} class={css_class} {wanted}>, found {len(found)}"
    return found[0]


def text(element: Element) -> str:
    """The element's text with whitespace collapsed, as a reader would see it."""
    parts: list[str] = []
    for child in element.children:
        parts.append(text(child) if isinstance(child, Element) else str(child))
    return " ".join(" ".join(parts).split())
