"""Intake: people ask a group for help by mentioning it; organisers turn asks into needs."""
