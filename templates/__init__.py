"""HTML templates of the web service (kept at the top of the repository by design)."""
