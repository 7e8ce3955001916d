"""What every page shares: the signed-in user, the language, campaign pickers, chart styling."""

from __future__ import annotations

import streamlit as st

from dashboards.auth import User
from dashboards.i18n import LANGUAGES, Texts

# The page files (dashboards/pages/<name>.py), in the order of the navigation.
PAGES = ("cohort_builder", "campaign_funnel", "follow_up", "overview", "data_health", "getting_started")
COLORS = {  # one colour per step/channel, the same on every page
    "delivered": "#1f4e79",
    "opened": "#2e86c1",
    "clicked": "#48c9b0",
    "texted": "#f39c12",
    "replied": "#d35400",
    "called": "#c0392b",
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
        st.caption(T("scope.note", affiliate=current.scope))


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


def style(fig, T: Texts, height: int = 360):
    """Locale number separators, a quiet layout."""
    fig.update_layout(
        separators=T.plotly_separators(),
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        template="plotly_white",
    )
    return fig


def date_ticks(fig, T: Texts, days: list, axis: str = "xaxis", most: int = 8):
    """Date tick labels written by Babel, so they read `2 juin` in French."""
    if not days:
        return fig
    step = max(1, -(-len(days) // most))
    ticks = days[::step]
    fig.update_layout({axis: {"tickvals": ticks, "ticktext": [T.date(d, "d MMM") for d in ticks]}})
    return fig


def table(df, columns: dict) -> None:
    """Show `df` with translated headers and locale-formatted cells: {column: (label, format or None)}."""
    import polars as pl

    shown = {
        label: [value if fmt is None else fmt(value) for value in df.get_column(column).to_list()]
        for column, (label, fmt) in columns.items()
    }
    st.dataframe(pl.DataFrame(shown, strict=False), hide_index=True, width="stretch")


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
