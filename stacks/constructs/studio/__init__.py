"""Dev's Studio: the domain, each person's profile, the teams' and projects' policies and pipelines."""
