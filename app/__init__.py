"""The Streamlit side of the dashboard: what the pages share on one server (geo/ never imports streamlit)."""
