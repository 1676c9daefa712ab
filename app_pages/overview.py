"""Overview: the verdict, the 32-row checklist, CV bars against the limits, failing counts."""

import pandas as pd
import streamlit as st

from app_pages.common import bench, current_lang
from planner.i18n import column, t
from planner.report import tables
from planner.standards import RESOURCE_IDS

lang = current_lang()
b = bench()
ev = b.current
st.header(b.base.ws.meta.name or t("page_overview", lang))
if b.base.ws.meta.synthetic:
    st.info(t("synthetic_banner", lang))
st.subheader(f"{t('scenario', lang)}: {t('baseline', lang) if b.name == 'baseline' else b.name}")
st.markdown(f"**{tables.verdict_text(ev, lang)}**")
s = ev.summary()
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("status_pass", lang), s["pass"])
c2.metric(t("status_fail", lang), s["fail"])
c3.metric(t("status_missing", lang), s["missing"])
c4.metric(t("sections_failing", lang), f"{s['school_sections_failing']} / {s['school_sections']}")
st.dataframe(tables.checklist_table(ev, lang), hide_index=True, key="checklist_table")

st.subheader(t("cv_bars", lang))
cv = ev.cvs[ev.cvs["id"] != "combined"]
for sec in ("primary", "junior"):
    part = cv[cv["section"] == sec]
    chart = pd.DataFrame({column("cv", lang): part["cv"].to_numpy(),
                          column("limit", lang): part["limit"].to_numpy()},
                         index=[column(i, lang) for i in part["id"]])
    st.caption(t(sec, lang))
    st.bar_chart(chart, stack=False, height=260)

st.subheader(t("failing_by_reason", lang))
ind = ev.indicators[~ev.indicators["compliant"]]
reasons = {column(rid, lang): int(ind["missed"].str.split(",").apply(lambda m, r=rid: r in m)
                                  .sum()) for rid in RESOURCE_IDS}
for rule in ("size", "class_primary", "class_junior"):
    reasons[t(f"rule_{rule}", lang)] = int((ev.caps["rule"] == rule).sum())
st.dataframe(pd.DataFrame({column("rule", lang): list(reasons),
                           t("schools", lang): list(reasons.values())}), hide_index=True)
