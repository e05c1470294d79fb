"""Revisions: numbered, hashed, attributed records of each change to a subject, with diff and rollback."""
