"""Surveys after a meeting: questions, one response per participant, results with small numbers suppressed."""
