"""The grid-versus-search report of finished runs: ``python -m tune_jobs.report RUN_DIR ...``.

``build`` writes it; ``comparison``, ``anytime`` and ``importance`` compute its tables; ``page`` renders them.
"""
