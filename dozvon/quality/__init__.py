"""Quality: automatic checks of every conversation and suggested contact types; evaluations
by competencies (scorecards, disputes, calibration), sampling, best-practice examples and
the operators' self-control."""
