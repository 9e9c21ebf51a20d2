"""Support for the reliability test: an HTTP visitor, the gunicorn server and its fault trap."""
