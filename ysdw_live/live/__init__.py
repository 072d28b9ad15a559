"""The live meeting's pages: the attendee page, the facilitator console and the projector."""
