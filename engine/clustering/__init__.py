"""Clustering: the algorithm and metric registries, the comparison, model selection, stability, sampling."""
