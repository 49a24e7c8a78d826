"""The segmentation engine: pure Python, never imports streamlit.

The folders follow the pipeline, each using only those before it:

- ``loading``     files -> tables, column roles, typed columns, joins, data quality
- ``features``    the customer feature catalogue, aggregation, RFM scores, scaling
- ``clustering``  algorithm and metric registries, the comparison, model selection, stability
- ``views``       segment profiles, 2-D projections, chart specs
- ``narrative``   names, descriptions, strategies and the report's sentences, checked against the numbers
- ``report``      the section registry, HTML/PDF rendering, exports
- ``analysis``    the stages and the :class:`~engine.analysis.runner.Analysis` that runs, caches and marks them stale

Shared by all: ``errors``, ``results`` (the result types), ``project`` and
``project_paths`` (the project file), ``formatting`` (numbers and words) and
``synthetic`` (the bundled sample's generator). ``cli`` is the command line.
"""
