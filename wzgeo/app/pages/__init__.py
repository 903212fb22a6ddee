"""Streamlit pages (thin: read widgets, call wzgeo functions)."""
