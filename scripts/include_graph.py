#!/usr/bin/env python3
"""Checks that the #include graph of a C source tree has no cycle.

A module is a .c file and the .h file of the same name (state.c and
state.h are the module "state"); module A depends on module B when a file
of A includes B's header ("b.h", looked up next to the including file and
at the top of the tree).  A cycle (A -> ... -> A) is what makes two
concerns inseparable.  Prints the edges with -v; exits 1 and prints each
cycle found, else 0.

Usage: include_graph.py [-v] [DIR]   (DIR: src/ of the repository)
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(root):
    """Maps each .c/.h path under root to its module name (path without extension)."""
    found = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(('.c', '.h')):
                path = os.path.join(d, f)
                found[path] = os.path.splitext(os.path.relpath(path, root))[0]
    return found


def edges(root):
    mods = modules(root)
    graph = {m: set() for m in mods.values()}
    for path, mod in mods.items():
        with open(path, encoding='utf-8', errors='replace') as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            for base in (os.path.dirname(path), root):
                target = os.path.normpath(os.path.join(base, inc))
                if target in mods:
                    if mods[target] != mod:
                        graph[mod].add(mods[target])
                    break
    return graph


def cycles(graph):
    """Returns one cycle per strongly connected component of more than one module."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(argv):
    verbose = '-v' in argv
    args = [a for a in argv if a != '-v']
    root = os.path.normpath(args[0] if args else os.path.join(os.path.dirname(__file__), '..', 'src'))
    graph = edges(root)
    if verbose:
        for m in sorted(graph):
            print('%s -> %s' % (m, ', '.join(sorted(graph[m])) or '-'))
    found = cycles(graph)
    for comp in found:
        print('cycle among: %s' % ', '.join(comp))
    if not found:
        print('no cycle among %d modules of %s' % (len(graph), root))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
