"""A placement objective written in Python: the surrogate of docs/placement.md, from the data
a GroundSet exposes. Pass an instance to epara.greedy(ground_set, objective); the C++ greedy
calls its gain/commit. tests/python checks it places exactly as the C++ 'surrogate' does.
"""


class PySurrogate:
    """The surrogate objective written in Python from the ground set's data: every instance
    splits its capacity among the demand nodes reaching it in proportion to their demand;
    F = sum over nodes of min(demand, received) x weight. Integer arithmetic like the C++."""

    def __init__(self, gs):
        self.gs = gs
        self.cands = gs.candidates
        self.nodes = gs.demand_nodes
        self.weights = gs.weights
        self.received = [0] * len(self.nodes)
        self.reaching = {}
        self.total = 0
        self.calls = 0

    def _shares(self, c):
        cand = self.cands[c]
        group, nodes = cand["group"], self.gs.demand_of(cand["service_index"])
        reach = [n for n in nodes if self.gs.reaches(n, group)]
        if group not in self.reaching:
            self.reaching[group] = sum(self.nodes[n]["demand"] for n in reach)
        if self.reaching[group] == 0:
            return []
        return [(n, cand["capacity"] * self.nodes[n]["demand"] // self.reaching[group]) for n in reach]

    def _added(self, c):
        return sum(min(self.nodes[n]["demand"], self.received[n] + share)
                   - min(self.nodes[n]["demand"], self.received[n]) for n, share in self._shares(c))

    def gain(self, c):
        self.calls += 1
        return float(self._added(c) * self.weights[self.cands[c]["service_index"]])

    def commit(self, c):
        self.total += self._added(c) * self.weights[self.cands[c]["service_index"]]
        for n, share in self._shares(c):
            self.received[n] += share

    def value(self):
        return float(self.total)
