"""Occlusion: every triangle of a hall model with the top-level node it owns, for line-of-sight ray tests
(hotspot visibility, and which scene sees a route's target). Points are model-space ``(3,)`` / ``(m, 3)``
float arrays in metres (docs/ARCHITECTURE.md, "Conventions")."""

from __future__ import annotations

import numpy as np
import trimesh

EPSILON = 1e-9
CLEARANCE = 0.05  # metres short of a target where a hit still counts as reaching it
PLACE_PREFIXES = ("counter:", "facility:")  # the nodes hotspots ask about, as check.extract names them


class Occluders:
    """Every triangle of a model with the counter or facility it belongs to, for ray tests.

    *mapping* renames nodes (a modeller's name → ``counter:<number>`` / ``facility:<id>``) exactly as
    ``check.extract`` does, so a triangle is owned by the same name that hotspots ask with. A triangle
    belongs to its nearest node, itself included, named as a counter or facility (a counter's sign belongs
    to the counter even when the sign's own node has a modeller's name); failing that, to its node's
    top-level name (``walls:1`` for ``walls:1/part``)."""

    def __init__(self, scene: trimesh.Scene, *, mapping: dict[str, str] | None = None) -> None:
        rename = mapping or {}
        parents, root = scene.graph.transforms.parents, scene.graph.base_frame
        drawn, owners = [], []
        for node in scene.graph.nodes_geometry:
            transform, name = scene.graph[node]
            geometry = scene.geometry.get(name)
            if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
                continue
            lineage = _lineage(node, parents, root, rename)
            if any(n.startswith("zone:") for n in lineage):
                continue  # floor paint lies on the floor; it hides nothing
            drawn.append((geometry, transform))
            owners.extend([_owner(lineage)] * len(geometry.faces))
        # Filled in place, one node at a time: no list of per-node copies joined at the end.
        self.triangles = np.empty((len(owners), 3, 3))
        start = 0
        for geometry, transform in drawn:
            vertices = trimesh.transform_points(geometry.vertices, transform)
            end = start + len(geometry.faces)
            np.take(vertices, geometry.faces, axis=0, out=self.triangles[start:end], mode="clip")
            start = end
        self.owners = np.array(owners, dtype=object)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The triangles and their owners as plain arrays (owners as indices into a name table), for
        ``numpy.savez``; ``from_arrays`` gives back an equal ``Occluders``."""
        names, index = (
            np.unique(self.owners.astype(str), return_inverse=True) if len(self.owners) else ([], [])
        )
        return {
            "occluder_triangles": self.triangles,
            "occluder_owner": np.asarray(index, dtype=np.int32),
            "occluder_names": np.asarray(names, dtype=str),
        }

    @classmethod
    def from_arrays(cls, arrays) -> Occluders:
        occluders = cls.__new__(cls)
        occluders.triangles = np.asarray(arrays["occluder_triangles"], dtype=float).reshape(-1, 3, 3)
        names = np.array([str(n) for n in arrays["occluder_names"]], dtype=object)
        occluders.owners = names[np.asarray(arrays["occluder_owner"], dtype=np.intp)]
        return occluders

    def blocked(self, origin: np.ndarray, targets: np.ndarray, own: list[str]) -> np.ndarray:
        """For rays from *origin* (3,) to each of *targets* (m, 3): whether something other than the
        target's own node (``own[i]``) lies in between. Returns (m,) bool."""
        result = np.zeros(len(targets), dtype=bool)
        if len(self.triangles) == 0:
            return result
        v0, v1, v2 = self.triangles[:, 0], self.triangles[:, 1], self.triangles[:, 2]
        e1, e2 = v1 - v0, v2 - v0
        s = origin - v0  # (n, 3)
        for i, target in enumerate(targets):
            d = target - origin
            length = float(np.linalg.norm(d))
            if length < EPSILON:
                continue
            d = d / length
            # Möller–Trumbore, vectorised over all triangles.
            p = np.cross(d, e2)
            det = np.einsum("ij,ij->i", e1, p)
            ok = np.abs(det) > EPSILON
            inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
            u = np.einsum("ij,ij->i", s, p) * inv
            q = np.cross(s, e1)
            v = (q @ d) * inv
            t = np.einsum("ij,ij->i", e2, q) * inv
            hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > EPSILON) & (t < length - CLEARANCE)
            hit &= self.owners != own[i]
            result[i] = bool(hit.any())
        return result


def _lineage(node: str, parents: dict[str, str], root: str, rename: dict[str, str]) -> list[str]:
    """The mapped names of *node* and its ancestors, nearest first, up to the scene's *root* (left out;
    a loaded scene may list the root as its own parent)."""
    out = []
    while node != root and node in parents:
        out.append(rename.get(node, node))
        node = parents[node]
    return out


def _owner(lineage: list[str]) -> str:
    for name in lineage:
        if name.startswith(PLACE_PREFIXES) and "/" not in name:
            return name
    return lineage[0].split("/", 1)[0] if lineage else ""
