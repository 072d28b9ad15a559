"""Concerns: what attendees (or facilitators on their behalf) raise, with votes and moderation."""
