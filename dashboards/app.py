"""rollcall's dashboards: one entry point, one page per file (`streamlit run dashboards/app.py`).

Sign-in comes first; until then the only page is the sign-in form, so no
page's code runs for an anonymous visitor. The signed-in user's affiliate
(None for an admin) is the scope every query on every page applies.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import auth, ui
from dashboards.i18n import LANGUAGES
from pipelines.lib.warehouse import WarehouseMissing

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="rollcall", page_icon="📣", layout="wide")
T = ui.texts()
ui.chrome(T)


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
            st.rerun()


def sign_out() -> None:
    for key in list(st.session_state):
        if key not in ("lang", "lang_switch"):
            del st.session_state[key]


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

if not isinstance(st.session_state.get("user"), auth.User):
    page = st.navigation([st.Page(sign_in, title=T("auth.title"), url_path="sign-in")], position="hidden")
else:
    pages = HERE / "pages"
    page = st.navigation(
        {
            T("nav.strategy"): [
                st.Page(
                    pages / "cohort_builder.py",
                    title=T("nav.cohorts"),
                    icon=":material/groups:",
                    url_path="cohorts",
                    default=True,
                ),
                st.Page(
                    pages / "campaign_funnel.py",
                    title=T("nav.funnel"),
                    icon=":material/filter_alt:",
                    url_path="funnel",
                ),
                st.Page(
                    pages / "follow_up.py",
                    title=T("nav.follow_up"),
                    icon=":material/replay:",
                    url_path="follow-up",
                ),
            ],
            T("nav.leadership"): [
                st.Page(
                    pages / "overview.py",
                    title=T("nav.overview"),
                    icon=":material/monitoring:",
                    url_path="leadership",
                ),
            ],
            T("nav.data"): [
                st.Page(
                    pages / "data_health.py",
                    title=T("nav.health"),
                    icon=":material/health_and_safety:",
                    url_path="data-health",
                ),
            ],
            T("nav.help"): [
                st.Page(
                    pages / "getting_started.py",
                    title=T("nav.guide"),
                    icon=":material/explore:",
                    url_path="getting-started",
                ),
            ],
        }
    )

try:
    page.run()
except WarehouseMissing as exc:
    st.error(T("app.no_warehouse", detail=str(exc)))
