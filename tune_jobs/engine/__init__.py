"""The sweep: the one place that starts Ray (``runner``), the trainable, its callbacks, budget and progress."""
