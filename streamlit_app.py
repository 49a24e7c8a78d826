"""Entry point of the Streamlit app: the frame (navigation, sidebar, saving) is app_support.frame."""

from app_support import frame

frame.run()
