"""Liaison: requests, commitments, agendas and relationships between internal teams."""
