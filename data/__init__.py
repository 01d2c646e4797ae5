"""Sample scenarios shipped with routeplanner (see README.md here)."""
