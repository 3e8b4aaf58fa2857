"""Boundary shapes as the store keeps them: compact, and exactly the published coordinates.

Published boundaries give longitude and latitude to a fixed number of decimals (ONS: 6). Held
as WKB, every vertex costs 16 bytes of doubles that compress poorly; held as integers in units
of the last decimal, one vertex's step from the one before fits in one or two bytes. So a
polygon or multipolygon is stored as:

    b"CQG1" | type (3 Polygon, 6 MultiPolygon) | decimals k | byte width w | 0
    | zlib( u32 polygons | u32 rings per polygon… | u32 rings | u32 points per ring…
            | i64 first x, first y | byte planes of the zig-zag steps, w bytes each )

and decoded with ``q / 10**k`` — a correctly rounded division, so each coordinate comes back as
the very double that parsing its published decimal text gave. This is checked when a shape is
encoded: a shape whose coordinates do not all come back bit for bit (reprojected from British
National Grid, say, or more than 9 decimals) is stored as plain WKB instead, and :func:`decode`
reads both. Nothing here is lossy; ``tests/test_shapes.py`` compares WKB bytes before and after.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np
import shapely

MAGIC = b"CQG1"
_POLYGON, _MULTIPOLYGON = 3, 6
_MAX_DECIMALS = 9
_EXACT_LIMIT = 2.0 ** 52  # quantised values below this are integers held exactly by a double
_WIDTH_TYPES: dict[int, str] = {1: "u1", 2: "<u2", 4: "<u4", 8: "<u8"}


def _identical(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit-for-bit equality of doubles (so -0.0 is not 0.0, as ``==`` would say)."""
    return np.asarray(np.ascontiguousarray(a).view(np.int64)
                      == np.ascontiguousarray(b).view(np.int64))


def _decimals(coords: np.ndarray) -> int | None:
    """The fewest decimals (0–9) at which every coordinate round-trips exactly, else None."""
    if not len(coords):
        return 0
    biggest = float(np.abs(coords).max())
    for k in range(_MAX_DECIMALS + 1):
        scale = 10.0 ** k
        if biggest * scale >= _EXACT_LIMIT:
            return None
        if _identical(np.round(coords * scale).astype(np.int64) / scale, coords).all():
            return k
    return None


def _pack(type_id: int, k: int, first: np.ndarray, zigzag: np.ndarray,
          rings_per_polygon: np.ndarray, points_per_ring: np.ndarray) -> bytes:
    top = int(zigzag.max()) if zigzag.size else 0
    width = next(w for w in (1, 2, 4, 8) if top < 2 ** (8 * w))
    planes = zigzag.astype(_WIDTH_TYPES[width]).view(np.uint8).reshape(-1, width).T.tobytes()
    body = b"".join([
        struct.pack("<I", len(rings_per_polygon)), rings_per_polygon.astype("<u4").tobytes(),
        struct.pack("<I", len(points_per_ring)), points_per_ring.astype("<u4").tobytes(),
        first.astype("<i8").tobytes(), planes])
    return MAGIC + bytes([type_id, k, width, 0]) + zlib.compress(body, 6)


def _zigzag_steps(q: np.ndarray) -> np.ndarray:
    """Zig-zag coded steps between consecutive points (x, y interleaved), as unsigned."""
    steps = np.diff(q, axis=0)
    return ((steps << 1) ^ (steps >> 63)).astype(np.uint64)


def encode(geoms: Sequence[object] | np.ndarray) -> list[bytes]:
    """Stored bytes for each shapely geometry: the compact form for 2-D polygons and
    multipolygons whose coordinates round-trip exactly, WKB for anything else."""
    arr = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(arr)
    if not len(arr):
        return []
    types = shapely.get_type_id(arr)
    plain = shapely.is_empty(arr) | shapely.has_z(arr)
    for type_id in (_POLYGON, _MULTIPOLYGON):
        idx = np.flatnonzero((types == type_id) & ~plain)
        if not len(idx):
            continue
        _, coords, offsets = shapely.to_ragged_array(arr[idx])
        if type_id == _POLYGON:
            ring_off, poly_ring = offsets
            poly_off = np.arange(len(poly_ring), dtype=np.int64)  # one polygon per shape
        else:
            ring_off, poly_ring, poly_off = offsets
        # one scale for the batch (a file's shapes share their precision); shapes it does not
        # reproduce exactly find their own below, or are kept as WKB
        k = _decimals(coords)
        q = np.round(coords * 10.0 ** (k or 0)).astype(np.int64)
        exact: np.ndarray | None = (np.asarray(_identical(q / 10.0 ** k, coords).all(axis=1))
                                    if k is not None else None)
        zigzag = _zigzag_steps(q)
        for n, i in enumerate(idx):
            p0, p1 = int(poly_off[n]), int(poly_off[n + 1])
            r0, r1 = int(poly_ring[p0]), int(poly_ring[p1])
            c0, c1 = int(ring_off[r0]), int(ring_off[r1])
            rings = np.diff(poly_ring[p0:p1 + 1])
            points = np.diff(ring_off[r0:r1 + 1])
            if k is not None and exact is not None and exact[c0:c1].all():
                out[i] = _pack(type_id, k, q[c0], zigzag[c0:c1 - 1].reshape(-1), rings, points)
                continue
            own = _decimals(coords[c0:c1])
            if own is not None:
                qq = np.round(coords[c0:c1] * 10.0 ** own).astype(np.int64)
                out[i] = _pack(type_id, own, qq[0], _zigzag_steps(qq).reshape(-1), rings,
                               points)
    missing = [i for i, b in enumerate(out) if b is None]
    if missing:
        wkb = shapely.to_wkb(arr[np.asarray(missing)])
        for at, one in zip(missing, wkb, strict=True):
            out[at] = bytes(one)
    return [b for b in out if b is not None]


def decode(blobs: Sequence[bytes | bytearray | memoryview | None]) -> np.ndarray:
    """Shapely geometries (an object array; None stays None) from stored bytes of either form.

    Python reads each shape's small header; the coordinates of all shapes of one type are
    rebuilt together (one cumulative sum, one ``from_ragged_array``).
    """
    out = np.empty(len(blobs), dtype=object)
    wkb_at: list[int] = []
    # per type: positions, decimals, first points, points per ring, rings per polygon,
    # and per byte width the step planes and the shapes using it
    groups: dict[int, dict[str, list]] = {}  # type: ignore[type-arg]
    for i, raw in enumerate(blobs):
        if raw is None:
            continue
        blob = bytes(raw)
        if blob[:4] != MAGIC:
            wkb_at.append(i)
            continue
        type_id, k, width = blob[4], blob[5], blob[6]
        body = zlib.decompress(blob[8:])
        n_polys = struct.unpack_from("<I", body, 0)[0]
        at = 4 + 4 * n_polys
        n_rings = struct.unpack_from("<I", body, at)[0]
        g = groups.setdefault(type_id, {"at": [], "k": [], "rings": [], "points": [],
                                        "first": [], "width": [], "planes": []})
        g["at"].append(i)
        g["k"].append(k)
        g["rings"].append(body[4:at])
        g["points"].append(body[at + 4:at + 4 + 4 * n_rings])
        at += 4 + 4 * n_rings
        g["first"].append(body[at:at + 16])
        g["width"].append(width)
        g["planes"].append(body[at + 16:])
    for type_id, g in groups.items():
        points = np.frombuffer(b"".join(g["points"]), "<u4").astype(np.int64)
        rings = np.frombuffer(b"".join(g["rings"]), "<u4").astype(np.int64)
        n_rings = np.array([len(b) // 4 for b in g["points"]], dtype=np.int64)
        n_polys = np.array([len(b) // 4 for b in g["rings"]], dtype=np.int64)
        ring_off = np.concatenate([[0], np.cumsum(points)])
        shape_points = np.add.reduceat(points, np.concatenate([[0], np.cumsum(n_rings)[:-1]]))
        first = np.frombuffer(b"".join(g["first"]), "<i8").reshape(-1, 2)
        # steps of every shape, decoded width by width, laid out shape after shape with a
        # zero row where each shape starts
        n_steps = 2 * (shape_points - 1)
        start = np.concatenate([[0], np.cumsum(shape_points)[:-1]])
        flat = np.zeros(2 * int(shape_points.sum()), dtype=np.int64)
        widths = np.asarray(g["width"])
        for w in np.unique(widths):
            sel = np.flatnonzero(widths == w)
            value = np.zeros(int(n_steps[sel].sum()), dtype=np.uint64)
            for j in range(int(w)):
                plane = b"".join(g["planes"][s][j * n_steps[s]:(j + 1) * n_steps[s]]
                                 for s in sel)
                value |= np.frombuffer(plane, np.uint8).astype(np.uint64) << np.uint64(8 * j)
            zz = value.astype(np.int64)
            steps = (zz >> 1) ^ -(zz & 1)
            dest = np.concatenate([np.arange(2 * start[s] + 2, 2 * (start[s] + shape_points[s]))
                                   for s in sel])
            flat[dest] = steps
        q = flat.reshape(-1, 2).cumsum(axis=0)
        base = q[start] - first  # rebase each shape onto its first point
        q -= np.repeat(base, shape_points, axis=0)
        scale = np.repeat(10.0 ** np.asarray(g["k"], dtype=np.float64), shape_points)
        coords = q / scale[:, None]
        poly_ring = np.concatenate([[0], np.cumsum(rings)])
        if type_id == _POLYGON:
            offsets: tuple[np.ndarray, ...] = (ring_off, poly_ring)
        else:
            offsets = (ring_off, poly_ring, np.concatenate([[0], np.cumsum(n_polys)]))
        out[np.asarray(g["at"])] = shapely.from_ragged_array(
            shapely.GeometryType(type_id), coords, offsets)
    if wkb_at:
        plain = np.empty(len(wkb_at), dtype=object)
        plain[:] = [bytes(blobs[i]) for i in wkb_at]  # type: ignore[arg-type]
        out[np.asarray(wkb_at)] = shapely.from_wkb(plain)
    return out
