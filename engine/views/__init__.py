"""Views of results: segment profiles, 2-D projections and the chart specifications."""
