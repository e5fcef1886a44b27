"""Peer for scenario 1: what a stateless file-editing tool does per call with Jupyter's own nbformat
(read + validate, change one cell, write + validate), timed in-process (no interpreter start-up).

    /usr/bin/python3 bench/peer_nbformat.py FILE RUNS OPS   (OPS: comma list of read,add,update,move)

Prints one JSON object: {op: [ms, ...]}.
"""
import json
import random
import sys
import time

import nbformat
from nbformat.v4 import new_code_cell

path, runs, ops = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
rnd = random.Random(7)
out = {op: [] for op in ops}
for i in range(runs):
    for op in ops:
        t = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        if op != "read":
            n = len(nb.cells)
            if op == "add":
                nb.cells.insert(n // 2, new_code_cell(f"x_{i} = {i}\nprint(x_{i})"))
            elif op == "update":
                nb.cells[rnd.randrange(n)].source = f"# updated {i}\ny = {i}"
            elif op == "move":
                c = nb.cells.pop(rnd.randrange(n))
                nb.cells.insert(rnd.randrange(n), c)
            nbformat.write(nb, path)
        out[op].append((time.perf_counter() - t) * 1000)
print(json.dumps(out))
