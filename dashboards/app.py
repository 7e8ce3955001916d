"""rollcall's dashboards: one entry point, one page per file (`streamlit run dashboards/app.py`).

Sign-in comes first; until then the only page is the sign-in form, so no
page's code runs for an anonymous visitor. The signed-in user's affiliate
(None for an admin) is the scope every query on every page applies.

A sign-in lasts across reloads: a signed, expiring session cookie
(dashboards/sessions.py) signs the user in again on F5. A deep link
(`/follow-up?fu_did=clicked`) opened while signed out shows the sign-in form
at that address and opens after it, with its query parameters (the pages'
choices, dashboards/ui.py).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from dashboards import auth, sessions, ui
from dashboards.i18n import LANGUAGES
from pipelines.lib.warehouse import WarehouseMissing

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="rollcall", page_icon="📣", layout="wide")
T = ui.texts()
ui.chrome(T)
# The app's pages, by section: (file, title, icon, url_path). The first is
# the default page, served at /. The sign-in gate answers at the same paths.
PAGES = {
    "nav.strategy": [
        ("cohort_builder.py", "nav.cohorts", ":material/groups:", "cohorts"),
        ("campaign_funnel.py", "nav.funnel", ":material/filter_alt:", "funnel"),
        ("follow_up.py", "nav.follow_up", ":material/replay:", "follow-up"),
    ],
    "nav.leadership": [
        ("overview.py", "nav.overview", ":material/monitoring:", "leadership"),
        ("ladder.py", "nav.ladder", ":material/stairs:", "ladder"),
    ],
    "nav.data": [("data_health.py", "nav.health", ":material/health_and_safety:", "data-health")],
    "nav.help": [("getting_started.py", "nav.guide", ":material/explore:", "getting-started")],
}
DEFAULT_PAGE = PAGES["nav.strategy"][0][3]


def _context(name: str, default):
    try:
        return getattr(st.context, name) or default
    except Exception:  # AppTest and bare script runs have no browser context
        return default


def restore_session() -> None:
    """Sign in from the session cookie (a reload, a new tab) unless this session signed out."""
    if isinstance(st.session_state.get("user"), auth.User) or st.session_state.get("signed_out"):
        return
    token = _context("cookies", {}).get(sessions.COOKIE)
    if not token:
        return
    try:
        user = sessions.verify(auth.users_path(), token)
    except auth.UsersFileError:
        return
    if user is not None:
        st.session_state["user"] = user
        st.session_state["session_token"] = token


def write_cookie(token: str | None) -> None:
    """Set (or remove) the session cookie in the browser: a zero-height same-origin component."""
    secure = str(_context("url", "")).startswith("https:")
    components.html(sessions.cookie_script(token, secure), height=0)


restore_session()


def sign_in() -> None:
    st.title(T("app.title"))
    st.caption(T("app.tagline"))
    try:
        users_file = auth.users_path()
        auth.load(users_file)
    except auth.UsersFileError as exc:
        st.error(T("auth.no_users", detail=str(exc)))
        return
    with st.form("sign_in"):
        username = st.text_input(T("auth.username"), key="login_username")
        password = st.text_input(T("auth.password"), type="password", key="login_password")
        submitted = st.form_submit_button(T("auth.sign_in"), type="primary")
    if submitted:
        try:
            signed_in = auth.authenticate(users_file, username.strip(), password)
        except auth.SignInLocked as locked:
            st.error(T("auth.locked", minutes=locked.minutes))
            return
        if signed_in is None:
            st.error(T("auth.failed"))
        else:
            st.session_state["user"] = signed_in
            st.session_state["session_token"] = sessions.issue(users_file, signed_in)
            st.session_state.pop("signed_out", None)
            st.rerun()


def sign_out() -> None:
    for key in list(st.session_state):
        if key not in ("lang", "lang_switch"):
            del st.session_state[key]
    st.session_state["signed_out"] = True  # the cookie this session was opened with no longer counts


with st.sidebar:
    st.segmented_control(
        T("app.language"),
        LANGUAGES,
        default=T.lang,
        format_func=lambda code: {"en": "English", "fr": "Français"}[code],
        key="lang_switch",
        required=True,
        persist_state="session",
    )
    current = st.session_state.get("user")
    if isinstance(current, auth.User):
        who = T("auth.admin") if current.admin else current.affiliate
        st.caption(T("auth.signed_in_as", name=current.name, scope=who))
        st.button(T("auth.sign_out"), on_click=sign_out, key="sign_out")
        if st.session_state.get("session_token"):
            write_cookie(st.session_state["session_token"])
    elif st.session_state.get("signed_out"):
        write_cookie(None)
    st.query_params["lang"] = T.lang  # the language survives a reload

if not isinstance(st.session_state.get("user"), auth.User):
    # Every page's address shows the sign-in form while signed out, so a deep link
    # (`/follow-up?fu_did=clicked`) keeps its address and its query parameters
    # through the form, and opens once signed in (the same url_path, the same page).
    gate = [st.Page(sign_in, title=T("auth.title"), url_path="sign-in", default=True)]
    gate += [
        st.Page(sign_in, title=T("auth.title"), url_path=path)
        for section in PAGES.values()
        for _, _, _, path in section
        if path != DEFAULT_PAGE
    ]
    page = st.navigation(gate, position="hidden")
else:
    sections = {
        T(section): [
            st.Page(
                HERE / "pages" / file,
                title=T(title),
                icon=icon,
                url_path=path,
                default=path == DEFAULT_PAGE,
            )
            for file, title, icon, path in pages
        ]
        for section, pages in PAGES.items()
    }
    page = st.navigation(sections)

try:
    page.run()
except WarehouseMissing as exc:
    st.error(T("app.no_warehouse", detail=str(exc)))
