"""What every page shares: the signed-in user, the language, campaign pickers, chart styling."""

from __future__ import annotations

import streamlit as st

from dashboards.auth import User
from dashboards.i18n import LANGUAGES, Texts

# The page files (dashboards/pages/<name>.py), in the order of the navigation.
PAGES = (
    "cohort_builder",
    "campaign_funnel",
    "follow_up",
    "overview",
    "ladder",
    "data_health",
    "getting_started",
)
COLORS = {  # one colour per step/channel, the same on every page
    "delivered": "#1f4e79",
    "opened": "#2e86c1",
    "clicked": "#48c9b0",
    "texted": "#f39c12",
    "replied": "#d35400",
    "called": "#c0392b",
    "signed": "#8e44ad",
    "submitted": "#6c3483",
    "rsvped": "#27ae60",
    "wrote": "#a04000",
    "acted": "#17202a",
    "texted_group": "#c0392b",
    "control_group": "#7f8c8d",
}


def lang() -> str:
    """The chosen language: the switch, else `?lang=`, else the browser's, else English."""
    for key in ("lang_switch", "lang"):
        chosen = st.session_state.get(key)
        if chosen in LANGUAGES:
            return chosen
    asked = st.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    browser = (st.context.locale or "") if hasattr(st, "context") else ""
    return "fr" if browser.lower().startswith("fr") else "en"


def texts() -> Texts:
    return Texts(lang())


def user() -> User:
    """The signed-in user; a page reached without one stops here."""
    current = st.session_state.get("user")
    if not isinstance(current, User):
        st.error(texts()("auth.required"))
        st.stop()
    return current


def scope_note(T: Texts, current: User) -> None:
    if current.scope is not None:
        st.caption(T("scope.note_of", affiliate=current.scope, de=T.de(current.scope)))


def has_email(campaign: dict) -> bool:
    return campaign.get("email_campaign_id") is not None


def asks_call(campaign: dict) -> bool:
    """A campaign whose ask is a call: where "opened but did not call" means something."""
    return campaign.get("ask") == "call"


def opens_on(campaign: dict) -> bool:
    """The campaign the builder and the funnel open on (the newest such): its ask is a call, it has
    an email, and it is not a follow-up (those are the Follow-up page's). `rollcall demo` agrees."""
    return asks_call(campaign) and has_email(campaign) and not campaign.get("follow_up_of")


def campaign_picker(T: Texts, campaigns: list[dict], key: str, prefer=None) -> dict | None:
    """A campaign select box showing names from campaigns.yml in the chosen language.

    Starts on the first (newest) campaign for which `prefer` is true.
    """
    if not campaigns:
        return None
    by_id = {c["campaign_id"]: c for c in campaigns}
    first = next(
        (c["campaign_id"] for c in campaigns if prefer is None or prefer(c)), campaigns[0]["campaign_id"]
    )  # campaigns come newest first
    chosen = select(
        T("common.campaign"),
        list(by_id),
        key,
        default=first,
        format_func=lambda cid: f"{T.campaign_name(by_id[cid])} · {T.date(by_id[cid]['starts'])}",
    )
    return by_id[chosen]


def campaigns_picker(T: Texts, campaigns: list[dict], key: str, prefer=None) -> list[dict]:
    """A multiselect of campaigns (a cohort may span several: DESIGN, several `--campaign`s),
    names in the chosen language; starts on the first (newest) campaign for which `prefer` is true."""
    if not campaigns:
        return []
    by_id = {c["campaign_id"]: c for c in campaigns}
    first = next(
        (c["campaign_id"] for c in campaigns if prefer is None or prefer(c)), campaigns[0]["campaign_id"]
    )  # campaigns come newest first
    # Remembered (and in the URL) as ids joined by commas; unknown ids are dropped.
    current = _remember(key, first)
    current = [c for c in str(current or first).split(",") if c in by_id] or [first]
    chosen = st.multiselect(
        T("common.campaigns"),
        list(by_id),
        default=current,
        key=widget_key(key),
        format_func=lambda cid: f"{T.campaign_name(by_id[cid])} · {T.date(by_id[cid]['starts'])}",
    )
    _keep(key, ",".join(chosen) if chosen else None, first)
    return [by_id[c] for c in chosen]


def style(fig, T: Texts, height: int = 360):
    """Locale numbers on every axis and tooltip, a quiet layout, legends that are not cut."""
    fig.update_layout(
        separators=T.plotly_separators(),
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "x": 0,
            "title": None,
            "entrywidthmode": "pixels",
            "entrywidth": 0,  # each entry as wide as its text
        },
        template="plotly_white",
        hoverlabel={"namelength": -1},  # never "Taux d'ouver…"
    )
    _localise(fig, T)
    return fig


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def nice_ticks(low: float, high: float, integer: bool, most: int = 6) -> list[float]:
    """Round tick values covering [low, high]; whole numbers only for counts (no "0,5 personne")."""
    import math

    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        high = 1.0
    raw = (high - low) / max(1, most - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1, math.ceil(step))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def _axis_name(trace, letter: str) -> str:
    ref = getattr(trace, f"{letter}axis", None) or letter
    return f"{letter}axis{ref[1:]}"


def _localise(fig, T: Texts) -> None:
    """Write every number the chart shows with Babel: value-axis ticks and each trace's tooltip.

    Plotly's own formats cannot write "40 %" (its d3 percent has no space) nor month names in
    French, so ticks get `ticktext` and tooltips a `hovertemplate` over pre-written `customdata`.
    A value axis whose data are all zero runs from 0, not from −1 to 1.
    """
    import datetime as dt

    values: dict[str, list] = {}
    for trace in fig.data:
        if trace.type == "sankey":  # no axes; its page writes its nodes' and links' tooltips
            continue
        horizontal = trace.type == "funnel" or getattr(trace, "orientation", None) == "h"
        value_letter = "x" if horizontal else "y"
        axis = _axis_name(trace, value_letter)
        vals = [v for v in (getattr(trace, value_letter) or ()) if _is_number(v)]
        values.setdefault(axis, []).extend(vals)

        def formatted(v, axis=axis):
            if not _is_number(v):
                return "—"
            fmt = fig.layout[axis].tickformat or ""
            if fmt.endswith("%"):
                return T.pct(v)
            return T.int(v) if float(v).is_integer() else T.dec(v)

        def label(v):
            if isinstance(v, dt.date):
                return T.date(v)
            return "" if v is None else str(v)

        if trace.hovertemplate or trace.hoverinfo in ("text", "none", "skip"):
            continue
        cats = getattr(trace, "y" if horizontal else "x") or ()
        nums = getattr(trace, value_letter) or ()
        trace.customdata = [[label(c), formatted(v)] for c, v in zip(cats, nums, strict=False)]
        head = f"<b>{trace.name}</b><br>" if len(fig.data) > 1 and trace.name else ""
        colon = "\u00a0:" if T.lang == "fr" else ":"  # French puts a (no-break) space before a colon
        trace.hovertemplate = head + "%{customdata[0]}" + colon + " %{customdata[1]}<extra></extra>"

    for axis, vals in values.items():
        layout_axis = fig.layout[axis]
        if layout_axis.tickvals is not None or layout_axis.type in ("date", "category"):
            continue
        percent = (layout_axis.tickformat or "").endswith("%")
        integer = not percent and all(float(v).is_integer() for v in vals)
        ticks = nice_ticks(min(vals, default=0), max(vals, default=0), integer)
        if percent:
            text = [T.pct(v, 0) for v in ticks]
        else:
            text = [T.int(v) if integer else T.dec(v, 1) for v in ticks]
        update = {"tickvals": ticks, "ticktext": text}
        if not any(vals):
            update["range"] = [0, ticks[-1]]
        fig.update_layout({axis: update})


def date_ticks(fig, T: Texts, days: list, axis: str = "xaxis", most: int = 8):
    """Date tick labels written by Babel, so they read `2 juin` in French."""
    if not days:
        return fig
    step = max(1, -(-len(days) // most))
    ticks = days[::step]
    fig.update_layout({axis: {"tickvals": ticks, "ticktext": [T.date(d, "d MMM") for d in ticks]}})
    return fig


STATIC_TABLE_ROWS = 15  # up to this many rows a table is static; longer ones scroll


def table(df, columns: dict) -> None:
    """Show `df` with translated headers and locale-formatted cells: {column: (label, format or None)}.

    A short table is static (no toolbar, no column menu); an empty cell reads "—", never "None".
    """
    import polars as pl

    shown = {
        label: [
            "—" if value is None else str(value) if fmt is None else fmt(value)
            for value in df.get_column(column).to_list()
        ]
        for column, (label, fmt) in columns.items()
    }
    frame = pl.DataFrame(shown, schema={label: pl.String for label in shown})
    if frame.height <= STATIC_TABLE_ROWS:
        st.table(frame, border="horizontal")
    else:  # a long table scrolls (its English toolbar and column menu are hidden: chrome())
        st.dataframe(frame, hide_index=True, width="stretch")


def blanks(df):
    """A frame for st.dataframe whose empty text cells read "—" (Streamlit writes "None")."""
    import polars as pl

    return df.with_columns(pl.col(pl.String).fill_null("—"))


def chrome(T: Texts) -> None:
    """Streamlit's own controls that have no French: hidden, or their words replaced (CSS).

    - tables' and charts' toolbars (Search, Fullscreen, Plotly's modebar) and the tables'
      column menus (Sort ascending, Pin column…): hidden (their tooltips are English only);
    - "Press Enter to submit form / to apply" under text inputs, and the keyboard users'
      "Skip to main content" link: the same words in French.
    .streamlit/config.toml hides the ⋮ menu and the tables' download.
    """
    css = [
        '[data-testid="stElementToolbar"], .modebar-container, [data-testid="stDataFrameColumnMenu"],'
        ' [data-testid="stDataFrameColumnMenuTarget"] { display: none !important; }'
    ]
    if T.lang != "en":
        replaced = {
            '[data-testid="stForm"] [data-testid="InputInstructions"]': T("chrome.enter_submit"),
            '[data-testid="InputInstructions"]': T("chrome.enter_apply"),
            '[data-testid="stSkipToContent"]': T("chrome.skip_to_content"),
        }
        for selector, words in replaced.items():
            quoted = words.replace("\\", "").replace('"', "")
            css.append(f"{selector} {{ font-size: 0 !important; }}")
            css.append(f'{selector}::after {{ content: "{quoted}"; font-size: 0.75rem; }}')
        css.append('[data-testid="InputInstructions"] > span { display: none; }')
    st.html("<style>" + "\n".join(css) + "</style>")


# Choices live in session_state["choices"], not in the widgets: a widget's key carries the
# language, so switching language redraws every option label, and the choice comes along
# (and survives page switches too). A choice other than the default is also a query
# parameter (`?cb_did_not=clicked`), so it survives a reload (F5) and travels in a link.
def _remember(key: str, default, parse=str):
    choices = st.session_state.setdefault("choices", {})
    if key in choices:
        return choices[key]
    if key in st.query_params:
        try:
            return parse(st.query_params[key])
        except ValueError:
            pass
    return default


def _keep(key: str, value, default=None) -> None:
    st.session_state.setdefault("choices", {})[key] = value
    if value is None or value == default or value is False:
        if key in st.query_params:
            del st.query_params[key]
    else:
        shown = "1" if value is True else str(value)
        if st.query_params.get(key) != shown:
            st.query_params[key] = shown


def widget_key(key: str) -> str:
    return f"{key}@{lang()}"


def select(label: str, options: list, key: str, default=None, widget=None, **kwargs):
    """A select box (or radio) whose choice survives language and page switches."""
    options = list(options)
    default = default if default is not None else options[0]
    by_text = {str(o): o for o in options}
    current = _remember(key, default, lambda text: by_text.get(text, default))
    index = (
        options.index(current)
        if current in options
        else (options.index(default) if default in options else 0)
    )
    value = (widget or st.selectbox)(label, options, index=index, key=widget_key(key), **kwargs)
    _keep(key, value, default)
    return value


def number(label: str, key: str, **kwargs):
    value = st.number_input(label, value=_remember(key, None, int), key=widget_key(key), **kwargs)
    _keep(key, value)
    return value


def check(label: str, key: str, widget=None, **kwargs) -> bool:
    value = (widget or st.checkbox)(
        label, value=_remember(key, False, lambda text: text == "1"), key=widget_key(key), **kwargs
    )
    _keep(key, value)
    return value
