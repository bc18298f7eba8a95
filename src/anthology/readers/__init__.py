"""Readers turn manuscript files into model objects, reporting every problem with its line."""
