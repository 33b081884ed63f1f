"""Steward: a self-hostable platform for community-owned AI datasets."""
