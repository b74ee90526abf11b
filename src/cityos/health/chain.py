"""A chain of transmission drawn as a server-rendered SVG tree (the page lists it too, for
screen readers): generations left to right, each case below the previous leaf."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cityos.health.models import Classification
from cityos.health.selectors import ChainNode, flatten

NODE_W, NODE_H, GAP_X, GAP_Y = 150, 44, 50, 16
COLOURS = {  # fill, text: contrast above 4.5:1
    Classification.CONFIRMED: ("#8b1a1a", "#ffffff"),
    Classification.PROBABLE: ("#7a4a00", "#ffffff"),
    Classification.SUSPECTED: ("#e8eef5", "#102a43"),
}


def _place(node: ChainNode, next_row: list[int], rows: dict[int, float]) -> float:
    """Leaves take the next row; a parent sits midway between its first and last child."""
    if not node.children:
        rows[node.case.pk] = next_row[0]
        next_row[0] += 1
    else:
        child_rows = [_place(child, next_row, rows) for child in node.children]
        rows[node.case.pk] = (child_rows[0] + child_rows[-1]) / 2
    return rows[node.case.pk]


def render_svg(root: ChainNode, *, highlight: int | None = None) -> SafeString:
    rows: dict[int, float] = {}
    _place(root, [0], rows)
    nodes = flatten(root)
    depth = max(n.depth for n in nodes)
    width = (depth + 1) * (NODE_W + GAP_X)
    height = (max(rows.values()) + 1) * (NODE_H + GAP_Y)

    def x(node: ChainNode) -> int:
        return node.depth * (NODE_W + GAP_X)

    def y(pk: int) -> float:
        return rows[pk] * (NODE_H + GAP_Y)

    parts: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
            'aria-labelledby="chain-title" class="chain-graph"><title id="chain-title">{}</title>',
            width,
            height,
            width,
            height,
            _("Chain of transmission: %(count)s cases") % {"count": len(nodes)},
        )
    ]
    for node in nodes:
        for child in node.children:
            parts.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#334e68" stroke-width="2"/>',
                    x(node) + NODE_W,
                    y(node.case.pk) + NODE_H / 2,
                    x(child),
                    y(child.case.pk) + NODE_H / 2,
                )
            )
    for node in nodes:
        fill, ink = COLOURS.get(Classification(node.case.classification), COLOURS[Classification.SUSPECTED])
        stroke = "#f0b400" if node.case.pk == highlight else "#334e68"
        parts.append(
            format_html(
                '<g><rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="{}" stroke="{}" stroke-width="{}"/>'
                '<text x="{}" y="{}" fill="{}" font-size="13" font-family="sans-serif">{}</text>'
                '<text x="{}" y="{}" fill="{}" font-size="11" font-family="sans-serif">{}</text></g>',
                x(node),
                y(node.case.pk),
                NODE_W,
                NODE_H,
                fill,
                stroke,
                4 if node.case.pk == highlight else 1,
                x(node) + 8,
                y(node.case.pk) + 18,
                ink,
                node.case.ref,
                x(node) + 8,
                y(node.case.pk) + 35,
                ink,
                node.case.get_classification_display(),
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every part comes from format_html
