"""Staffing maths (Erlang C, Erlang A): pure functions, no I/O."""
