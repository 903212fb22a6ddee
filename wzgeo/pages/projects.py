"""stub"""

from __future__ import annotations

import streamlit as st


def render() -> None:
    st.title("projects")


if __name__ == "__main__":
    render()
