"""The dashboard's charts, drawn by pygal as inline SVG with no script."""

import datetime as dt
import re

import pygal
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from pygal.style import Style

from ...formatting import month_name
from ...models import Campaign
from ...services.campaigns.figures import coverage_over_time, region_table

#: The charts of the dashboard, by the name in their URL.
CHART_TITLES = {"progress": lazy_gettext("Workers covered per month"), "regions": lazy_gettext("Workers by region")}


#: Drawing sizes: "wide" for desktops, "narrow" for phones, where an SVG of 320 units fills about 320 px,
#: so its smallest text (13 units) stays above 12 px on a 360 px screen.
SIZES = {
    "wide": {"width": 640, "height": 300, "font": 13},
    "narrow": {"width": 320, "height": 420, "font": 13},
}


def charts(campaign: Campaign, *, today: dt.date, size: str = "wide") -> dict[str, str]:
    """Return the dashboard's charts as SVG drawn by pygal, at one of :data:`SIZES`."""
    drawing = SIZES[size]
    font = drawing["font"]
    style = Style(background="transparent", plot_background="#ffffff", colors=("#3f9d6a", "#0b5d3b", "#8a6d00"),
                  font_family="system-ui, sans-serif", label_font_size=font, major_label_font_size=font,
                  legend_font_size=font, value_font_size=font, value_label_font_size=font, tooltip_font_size=font,
                  title_font_size=font + 2, no_data_font_size=font + 2)
    config = dict(style=style, js=[], disable_xml_declaration=True, explicit_size=False, width=drawing["width"],
                  height=drawing["height"], legend_at_bottom=True, legend_at_bottom_columns=1 if size == "narrow" else None,
                  print_values=False, show_y_guides=True, truncate_label=-1)
    series = coverage_over_time(campaign, today=today)
    line = pygal.Line(x_label_rotation=30 if size == "wide" else 60, show_minor_x_labels=False, **config)
    line.title = str(CHART_TITLES["progress"])
    line.x_labels = [month_name(m) for m, _f, _p in series]
    line.x_labels_major = line.x_labels[::3]
    line.add(_("Funded"), [f for _m, f, _p in series])
    line.add(_("Protected (accepted by BPJS)"), [p for _m, _f, p in series])
    regions = [r for r in region_table(campaign, today=today) if r.target or r.funded or r.registered][:15]
    bar = pygal.HorizontalBar(**config)
    bar.title = str(CHART_TITLES["regions"])
    bar.x_labels = [r.name for r in regions]
    bar.add(_("Funded"), [r.funded for r in regions])
    bar.add(_("Protected (accepted by BPJS)"), [r.protected for r in regions])
    bar.add(_("Target"), [r.target for r in regions])
    return {"progress": _inert(line.render(is_unicode=True)), "regions": _inert(bar.render(is_unicode=True))}


def _inert(svg: str) -> str:
    """Drop pygal's inline tooltip configuration: the pages load no JavaScript, so it would only be noise."""
    return re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
