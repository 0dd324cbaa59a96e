"""The report as one self-contained HTML file: inline CSS and inline SVG, no script, no link, no
image, no address of anything outside the file (a `://` in logged text is written with an
entity, so no reader takes it for one). Readable on a phone (viewport, fluid widths) and
printable (a print style sheet, no page-breaks inside an incident).

Each incident gets an SVG timeline: the failover phase on a time axis to scale (red: customers
reach the dead host; amber: resolvers may still serve its address from their caches), each
event a numbered marker, and the same numbers in the list below it; the recovery and the
failback, often hours later, on a second axis of their own.
"""

from __future__ import annotations

import html

from failover.report.document import Report
from failover.report.incidents import Event, Incident
from failover.report.text import (
    clock,
    downtime_lines,
    percent,
    rehearsal_rows,
    span,
    stamp,
)

CSS = """
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
 color:#1b1f24;background:#fff}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.25rem;margin-top:2rem;
 border-bottom:2px solid #d0d7de}h3{font-size:1.05rem}
.meta,.note{color:#57606a;font-size:.9rem}.chain{font-family:ui-monospace,monospace;
 font-size:.8rem;word-break:break-all}
section.incident{border:1px solid #d0d7de;border-radius:8px;padding:.5rem 1rem;margin:1rem 0;
 break-inside:avoid;page-break-inside:avoid}
.downtime{font-size:1.1rem}.downtime b{color:#b42318}
svg{width:100%;height:auto;display:block;margin:.5rem 0}
ol.timeline{list-style:none;padding:0;margin:0}
ol.timeline li{display:grid;grid-template-columns:2rem 6.5rem 5rem 1fr;gap:.25rem;
 padding:.2rem 0;border-bottom:1px solid #eaeef2}
.n{font-weight:700;color:#0550ae}.t,.d{font-family:ui-monospace,monospace;font-size:.85rem}
.d{color:#57606a;text-align:right;padding-right:.5rem}
.table{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #d0d7de;padding:.3rem .4rem;text-align:left}
td.num,th.num{text-align:right}
.ready{color:#1a7f37;font-weight:700}.notready{color:#b42318;font-weight:700}
@media (max-width:40rem){ol.timeline li{grid-template-columns:1.6rem 5.8rem 1fr}
 ol.timeline li .d{display:none}main{padding:.5rem}}
@media print{body{font-size:11pt}main{max-width:none;padding:0}
 h2{break-after:avoid}a{color:inherit}}
"""

WIDTH, LEFT, RIGHT = 480, 14, 466
RED, AMBER, GREEN, BLUE = "#d92d20", "#f79009", "#12b76a", "#0550ae"
LEGEND = (f"<p class=note><span style='color:{RED}'>&#9632;</span> customers reach the failed "
          f"host &nbsp; <span style='color:{AMBER}'>&#9632;</span> resolvers may still serve its "
          "address from their caches</p>")


def esc(text: object) -> str:
    """HTML text; `://` as an entity, so logged text never reads as an address."""
    return html.escape(str(text)).replace("://", "&#58;//")


def _axis(events: list[Event], numbers: list[int], bands: list[tuple[float, float, str]],
          title: str) -> str:
    t0 = events[0].ts
    t1 = max(max(e.ts for e in events), *(b for _, b, _ in bands)) if bands else events[-1].ts
    scale = (RIGHT - LEFT) / max(t1 - t0, 1e-6)

    def x(ts: float) -> float:
        return round(LEFT + (ts - t0) * scale, 1)

    parts = [f'<svg viewBox="0 0 {WIDTH} 120" role="img" aria-label="{esc(title)}">',
             f"<title>{esc(title)}</title>",
             f'<line x1="{LEFT}" y1="80" x2="{RIGHT}" y2="80" stroke="#8c959f" '
             'stroke-width="2"/>']
    for a, b, colour in bands:
        parts.append(f'<rect x="{x(a)}" y="70" width="{max(x(b) - x(a), 2)}" height="20" '
                     f'fill="{colour}"/>')
    ends = [-100.0] * 4  # where each row of labels ends: a label never overlaps another
    for e, n in zip(events, numbers, strict=True):
        row = next((k for k, end in enumerate(ends) if end + 16 <= x(e.ts)),
                   min(range(4), key=lambda k: ends[k]))
        ends[row] = x(e.ts)
        y = 58 - row * 15
        parts.append(f'<line x1="{x(e.ts)}" y1="{y + 4}" x2="{x(e.ts)}" y2="80" '
                     'stroke="#57606a" stroke-width="1"/>')
        parts.append(f'<circle cx="{x(e.ts)}" cy="80" r="5" fill="{BLUE}"/>')
        parts.append(f'<text x="{x(e.ts)}" y="{y}" font-size="15" font-weight="700" '
                     f'text-anchor="middle" fill="{BLUE}">{n}</text>')
    parts.append(f'<text x="{LEFT}" y="112" font-size="13" fill="#57606a">{esc(clock(t0))}'
                 "</text>")
    parts.append(f'<text x="{RIGHT}" y="112" font-size="13" fill="#57606a" text-anchor="end">'
                 f"{esc(clock(t1))} (+{esc(span(t1 - t0))})</text>")
    parts.append("</svg>")
    return "".join(parts)


def _list(events: list[Event], first: int, previous: float | None) -> str:
    items = []
    for n, e in enumerate(events, first):
        since = "" if previous is None else "+" + span(e.ts - previous)
        detail = f" <span class=note>({esc(e.detail)})</span>" if e.detail else ""
        items.append(f"<li><span class=n>{n}</span><span class=t>{esc(clock(e.ts))}</span>"
                     f"<span class=d>{esc(since)}</span><span>{esc(e.label)}{detail}</span></li>")
        previous = e.ts
    return "<ol class=timeline>" + "".join(items) + "</ol>"


def _incident(inc: Incident, n: int) -> str:
    run = inc.run
    how = "automatic" if run.automatic else f"by hand ({run.who})"
    out = [f"<section class=incident><h3>{n}. {esc(run.from_)} &rarr; {esc(run.to)}: run "
           f"{esc(run.id)} ({esc(how)}, {esc(run.status)})</h3>"]
    lines = downtime_lines(inc)
    if inc.downtime is not None:
        out.append(f"<p class=downtime>Downtime as customers saw it: <b>{esc(span(inc.downtime))}"
                   f"</b> <span class=note>(first failed round of {esc(inc.host)} &rarr; every "
                   f"nameserver answers with {esc(run.to)})</span></p>")
        lines = lines[1:]
    out += [f"<p class=note>{esc(line)}</p>" for line in lines]
    fail = inc.timeline("failover")
    back = inc.timeline("failback")
    bands = []
    down_from = inc.first_failed.ts if inc.first_failed else None
    if down_from is not None and run.verified_at is not None:
        bands.append((down_from, run.verified_at, RED))
    if inc.caches_until is not None and run.dns_at is not None:
        bands.append((run.verified_at or run.dns_at, inc.caches_until, AMBER))
    if fail:
        out.append(f"<p class=meta>{esc(stamp(fail[0].ts)[:10])}, times in UTC</p>")
        out.append(_axis(fail, list(range(1, len(fail) + 1)), bands,
                         f"timeline of run {run.id}"))
        out.append(LEGEND)
        out.append(_list(fail, 1, None))
    if back:
        ends = [(back[0].ts, back[-1].ts, GREEN)]
        out.append(f"<h4>Recovery and failback</h4><p class=meta>"
                   f"{esc(stamp(back[0].ts)[:10])}, times in UTC</p>")
        out.append(_axis(back, list(range(len(fail) + 1, len(fail) + len(back) + 1)), ends,
                         f"recovery of {inc.host}"))
        out.append(_list(back, len(fail) + 1, fail[-1].ts if fail else None))
    out.append("</section>")
    return "".join(out)


def _table(head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        return f"<{tag}{' class=num' if i in numeric else ''}>{esc(text)}</{tag}>"

    return ("<div class=table><table><thead><tr>"
            + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>"
                      for r in rows) + "</tbody></table></div>")


def _availability(report: Report) -> str:
    from failover.report.availability import HOW_COUNTED

    a = report.availability
    if a is None:
        return ""
    every = "unknown" if a.interval is None else span(a.interval)
    observed = "-" if a.observed is None else f"{a.observed * 100:.2f}%"
    out = ["<h2>Availability</h2>",
           f"<p>Check interval {esc(every)} (median time between rounds); {a.judged} judged "
           f"rounds, {a.unjudged} not judged; judged rounds cover {esc(observed)} of the "
           "period.</p>"]
    out.append(_table(["host", "availability", "passed", "failed", "failed time"],
                      [[h, percent(t.ratio), str(t.passed), str(t.failed),
                        "-" if a.interval is None else span(t.failed * a.interval)]
                       for h, t in a.hosts.items()], {1, 2, 3, 4}))
    out.append(_table(["host", "check", "availability", "passed", "failed"],
                      [[h, c, percent(t.ratio), str(t.passed), str(t.failed)]
                       for (h, c), t in sorted(a.checks.items())], {2, 3, 4}))
    if a.gaps:
        out.append(f"<p>Gaps, counted neither as up nor as down ({len(a.gaps)}, "
                   f"{esc(span(sum(g.seconds for g in a.gaps)))} in all):</p><ul>"
                   + "".join(f"<li>{esc(stamp(g.start))} to {esc(stamp(g.end))}: "
                             f"{esc(span(g.seconds))}, {esc(g.why)}</li>" for g in a.gaps)
                   + "</ul>")
    else:
        out.append("<p>Gaps: none.</p>")
    out.append(f"<p class=note>How this is counted: {esc(HOW_COUNTED)}</p>")
    return "".join(out)


def _rehearsals(report: Report) -> str:
    rows = rehearsal_rows(report)
    out = [f"<h2>Rehearsals ({len(rows)})</h2>"]
    if not rows:
        return out[0] + "<p>No rehearsal in this period.</p>"
    head = ["time", "standby", "readiness", "RTO estimate", "RTO target", "findings"]
    body = "".join(
        "<tr>" + "".join(f"<td class={'ready' if c == 'ready' else 'notready'}>{esc(c)}</td>"
                         if i == 2 else f"<td>{esc(c)}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return (out[0] + "<div class=table><table><thead><tr>"
            + "".join(f"<th>{h}</th>" for h in head) + f"</tr></thead><tbody>{body}</tbody>"
            "</table></div>")


def render(report: Report) -> str:
    if report.only_incident:
        period = f"Incident of run {esc(report.only_incident)}"
    else:
        period = (f"{esc(stamp(report.start))} to {esc(stamp(report.end))} (the audit log "
                  f"starts {esc(stamp(report.log_start))})")
    incidents = "".join(_incident(i, n) for n, i in enumerate(report.incidents, 1)) or \
        "<p>No run moved DNS in this period.</p>"
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>failover report: {esc(report.site)}</title><style>{CSS}</style></head>"
            f"<body><main><h1>failover report: {esc(report.site)}</h1>"
            f"<p class=meta>{period}; generated {esc(stamp(report.generated))}</p>"
            f"<p class=chain>{esc(report.chain.words)}</p>"
            + (f"<p>{report.skipped} audit records could not be read and are not counted.</p>"
               if report.skipped else "") +
            f"<h2>Incidents ({len(report.incidents)})</h2>{incidents}"
            f"{_availability(report)}"
            f"{'' if report.only_incident else _rehearsals(report)}"
            "</main></body></html>\n")
