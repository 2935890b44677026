"""Read statements, built once per shape and run with bound parameters.

Building a statement of a list's size cost more Python time per request than
running it, so each shape is built (and compiled by SQLAlchemy) once per process;
the services run them and own what they mean.
"""
