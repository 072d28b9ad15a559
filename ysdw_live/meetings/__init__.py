"""Meetings: one gathering of a series, with its join code, status and projector state."""
