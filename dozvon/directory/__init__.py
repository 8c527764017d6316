"""The project's named people: whom partner and complaint contacts are handed to."""
