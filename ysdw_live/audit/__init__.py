"""The audit trail: who among the staff did what, when, to which object."""
