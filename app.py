"""wzgeo Streamlit app (placeholder): zones and projects tables from geodata/plan/.

Run with ``streamlit run app.py``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from wzgeo.paths import plan_dir

st.set_page_config(page_title="万州工业用地 wzgeo", layout="wide")
st.title("万州区工业园区与用地 · Wanzhou industrial zones and land")

for name, title in (("zones.csv", "园区 Zones"), ("projects.csv", "项目库 Projects")):
    path = plan_dir() / name
    st.subheader(title)
    if path.exists():
        st.dataframe(pd.read_csv(path, encoding="utf-8"), hide_index=True)
    else:
        st.info(
            f"数据表尚未生成：{path.name}（运行 wzgeo build-data）。"
            f" / Table not built yet: {path.name} (run wzgeo build-data)."
        )
