"""Live polls: a question put to the room during the meeting, answered on phones, charted on the projector."""
