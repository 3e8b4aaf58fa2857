"""Readers and fetchers for each publisher's data format."""
