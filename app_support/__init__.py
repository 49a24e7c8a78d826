"""Small Streamlit helpers shared by the pages (state, sidebar, errors, progress, uploads)."""
