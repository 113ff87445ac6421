"""The hall model, the geometric truth: layout specs → GLB (``build``), reading and checking a GLB
(``check``) into plan geometry (``geometry``), occlusion, floor plans and the stored model files.
Imports no other domain package (docs/ARCHITECTURE.md)."""
