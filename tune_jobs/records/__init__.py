"""The run directory: its layout and atomic writes (``rundir``), trials and summary (``results``),
read back (``runs``)."""
