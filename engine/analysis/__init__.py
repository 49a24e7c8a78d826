"""The analysis itself: the stages from data to report and the Analysis that runs them, caches and marks them stale."""
