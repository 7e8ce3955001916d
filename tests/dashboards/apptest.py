"""Helpers for AppTest: run the app as a signed-in user on one page, read what it shows."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP


def open_page(page: str | None, user=None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if user is not None:
        at.session_state["user"] = user
    at.session_state["lang"] = lang
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shown_text(at: AppTest) -> str:
    """Every text, number and table cell the page shows, as one string (to look for people in)."""
    parts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info")
             for e in getattr(at, kind)]  # fmt: skip
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for frame in (*at.dataframe, *at.table):
        parts.append(frame.value.to_csv(index=False))
    for widget in (*at.selectbox, *at.radio):
        parts += [str(o) for o in widget.options]
    return "\n".join(parts)
