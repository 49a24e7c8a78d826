"""Entry point of the Streamlit app: page config and navigation."""

import streamlit as st

st.set_page_config(page_title="Customer Segmentation Report Builder", page_icon="📊", layout="wide")
st.title("Customer Segmentation Report Builder")
st.write("The five-step app is being assembled; use `python -m engine build --demo --out demo.pdf` meanwhile.")
