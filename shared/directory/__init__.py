"""The agency directory as generated data (build.py)."""
