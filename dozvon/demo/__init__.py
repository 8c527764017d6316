"""``dozvon demo``: a demo project, a generator of demo customers and a terminal wallboard."""
