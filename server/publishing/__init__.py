"""Publishing: what joins the domains into what citizens see — a checked hall model with its derived
geometry, walking graph and occluders; scenes with their hotspots (docs/ARCHITECTURE.md)."""
