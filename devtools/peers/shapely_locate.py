"""The peer of `tinjau-dev bench locate`: shapely 2 classifying the same points against the same
polygons, each way at its best, on one core. Prints one JSON object.

Usage: shapely_locate.py GEOMETRIES.ndjson POINTS.f64
  GEOMETRIES: one GeoJSON geometry per line (the bench's polygons, rings already closed)
  POINTS: little-endian float64 pairs (lon, lat), the bench's seeded points
"""

import json
import sys
import time

import numpy as np
import shapely


def peak_resident_bytes():
    """This process's own peak (getrusage would report the parent's, inherited at fork)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def best_of(run, budget_s=30.0, times=3):
    """Best time of up to `times` runs, stopping once `budget_s` seconds have been spent."""
    best, spent, result = float("inf"), 0.0, None
    for _ in range(times):
        started = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - started
        best, spent = min(best, elapsed), spent + elapsed
        if spent > budget_s:
            break
    return best, result


def main():
    with open(sys.argv[1]) as f:
        geoms = shapely.from_geojson([line for line in f if line.strip()])
    # As PostGIS's ST_MakeValid does for the import: the real data has a few invalid rings.
    geoms = shapely.make_valid(geoms)
    xy = np.fromfile(sys.argv[2], dtype="<f8").reshape(-1, 2)
    points = shapely.points(xy)
    n = len(xy)

    shapely.prepare(geoms)
    tree = shapely.STRtree(geoms)
    strtree_s, pairs = best_of(lambda: tree.query(points, predicate="intersects").shape[1])
    out = {
        "shapely": shapely.__version__,
        "points": n,
        "polygons": len(geoms),
        "strtree_rate": n / strtree_s,
        "strtree_pairs": int(pairs),
    }

    # Per polygon, the points in its bounding box by a sorted-x window, then contains_xy on the
    # prepared polygon: the fastest way for a city's few hundred polygons; too slow to try for a
    # country's tens of thousands.
    if len(geoms) <= 5000:
        bounds = shapely.bounds(geoms)

        def prefilter():
            # Sorting the points is part of the work: the index gets them in any order.
            order = np.argsort(xy[:, 0])
            xs, ys = xy[order, 0], xy[order, 1]
            total = 0
            for g, (x0, y0, x1, y1) in zip(geoms, bounds):
                lo, hi = np.searchsorted(xs, x0, "left"), np.searchsorted(xs, x1, "right")
                sel = (ys[lo:hi] >= y0) & (ys[lo:hi] <= y1)
                total += int(shapely.contains_xy(g, xs[lo:hi][sel], ys[lo:hi][sel]).sum())
            return total

        prefilter_s, pairs = best_of(prefilter)
        out["prefilter_rate"] = n / prefilter_s
        out["prefilter_pairs"] = pairs

        # The plainer way: a boolean mask of the points in each bounding box, no sorting.
        x, y = xy[:, 0], xy[:, 1]

        def masks():
            total = 0
            for g, (x0, y0, x1, y1) in zip(geoms, bounds):
                sel = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
                total += int(shapely.contains_xy(g, x[sel], y[sel]).sum())
            return total

        mask_s, pairs = best_of(masks)
        out["mask_rate"] = n / mask_s
        out["mask_pairs"] = pairs

    out["peak_bytes"] = peak_resident_bytes()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
