"""Plumbing shared by every bookstore service, written once."""
