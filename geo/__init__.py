"""Border-crossing dashboard library: data, filters, map layers and geography (no Streamlit here)."""
