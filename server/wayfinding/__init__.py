"""Wayfinding over the hall model's plan geometry: the walking graph, routes and their spoken steps.
Imports the hall model only (docs/ARCHITECTURE.md)."""
