"""Calibration residuals as small linear operators, for the linearisation engine.

R's ``svyrecvar`` replaces the influence values ``x`` of a calibrated design by residuals,
one adjustment ``x <- x - Phi @ (L @ x)`` per post-stratification, raking margin or GREG
calibration. A post-stratum or margin has one cell per row, so ``L`` and ``Phi`` are stored as
three vectors (cell, L value, Phi value) and every product is a ``bincount``; GREG blocks are
dense with as many columns as calibration totals. Nothing here grows with the number of
domains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CalBlock", "CalChain", "gamma", "unit_phi"]


@dataclass(frozen=True)
class CalBlock:
    """One calibration adjustment ``x <- x - Phi @ (L @ x)``."""

    kind: str
    q: int
    cell: np.ndarray | None = None     # (n,) cell of each row, -1: none
    lval: np.ndarray | None = None     # (n,) L[cell, row]
    phi: np.ndarray | None = None      # (n,) Phi[row, cell]
    Lmat: np.ndarray | None = None     # (q, n) dense L (GREG)
    Phimat: np.ndarray | None = None   # (n, q) dense Phi (GREG)

    @classmethod
    def cells(cls, kind, cell, lval, phi, q):
        ok = cell >= 0
        return cls(kind, q, np.where(ok, cell, -1), np.where(ok, lval, 0.0), np.where(ok, phi, 0.0))

    @classmethod
    def dense(cls, kind, Lmat, Phimat):
        return cls(kind, Lmat.shape[0], Lmat=Lmat, Phimat=Phimat)

    def l_dot(self, sel, dom, n_dom, Z):
        """L @ X0 where X0 holds row i's influence values Z[i] in its domain's columns."""
        K = Z.shape[1]
        m = n_dom * K
        out = np.zeros((self.q, m))
        if self.Lmat is None:
            rows = sel[self.cell[sel] >= 0]
            base = self.cell[rows] * m + dom[rows] * K
            for k in range(K):
                out += np.bincount(base + k, weights=self.lval[rows] * Z[rows, k],
                                   minlength=self.q * m).reshape(self.q, m)
            return out
        d = dom[sel]
        for j in range(self.q):
            for k in range(K):
                out[j, k::K] = np.bincount(d, weights=self.Lmat[j, sel] * Z[sel, k], minlength=n_dom)
        return out

    def l_dot_phi(self, other: "CalBlock") -> np.ndarray:
        """The small matrix L @ other.Phi."""
        if self.Lmat is None and other.Phimat is None:
            ok = (self.cell >= 0) & (other.cell >= 0)
            key = self.cell[ok] * other.q + other.cell[ok]
            return np.bincount(key, weights=self.lval[ok] * other.phi[ok],
                               minlength=self.q * other.q).reshape(self.q, other.q)
        if self.Lmat is None:
            ok = self.cell >= 0
            return np.column_stack([np.bincount(self.cell[ok], weights=self.lval[ok] * other.Phimat[ok, r],
                                                minlength=self.q) for r in range(other.q)])
        if other.Phimat is None:
            ok = other.cell >= 0
            return np.vstack([np.bincount(other.cell[ok], weights=self.Lmat[j, ok] * other.phi[ok],
                                          minlength=other.q) for j in range(self.q)])
        return self.Lmat @ other.Phimat

    def add_unit_totals(self, out, unit, units_are_rows) -> None:
        """Add Phi summed over the rows of each unit (PSU) into ``out`` (n_units, q)."""
        n_units = out.shape[0]
        if self.Phimat is not None:
            if units_are_rows:
                out += self.Phimat
            else:
                for r in range(self.q):
                    out[:, r] += np.bincount(unit, weights=self.Phimat[:, r], minlength=n_units)
            return
        ok = np.flatnonzero(self.cell >= 0)
        if units_are_rows:
            out[ok, self.cell[ok]] += self.phi[ok]
        else:
            out += np.bincount(unit[ok] * self.q + self.cell[ok], weights=self.phi[ok],
                               minlength=n_units * self.q).reshape(n_units, self.q)


@dataclass(frozen=True)
class CalChain:
    """The calibrations of a design in the order ``svyrecvar`` applies them."""

    blocks: tuple
    schedule: tuple          # block index of each adjustment step
    cross: tuple             # cross[j][i] = L_j @ Phi_i

    @staticmethod
    def start(new_blocks, local_schedule) -> "CalChain":
        blocks = tuple(new_blocks)
        return CalChain(blocks, tuple(local_schedule), _cross(blocks))

    def extend(self, new_blocks, local_schedule) -> "CalChain":
        blocks = self.blocks + tuple(new_blocks)
        schedule = self.schedule + tuple(len(self.blocks) + j for j in local_schedule)
        return CalChain(blocks, schedule, _cross(blocks))

    @property
    def Q(self) -> int:
        return sum(b.q for b in self.blocks)


def _cross(blocks) -> tuple:
    return tuple(tuple(bj.l_dot_phi(bi) for bi in blocks) for bj in blocks)


def gamma(chain: CalChain, sel, dom, n_dom, Z) -> np.ndarray:
    """Gamma (Q, m) such that the calibrated influence values are X0 - Phi @ Gamma.

    Each step j of the schedule adds L_j applied to the current residual, which is
    L_j X0 minus the earlier adjustments seen through the small matrices L_j Phi_i.
    """
    LX = [b.l_dot(sel, dom, n_dom, Z) for b in chain.blocks]
    gam = [np.zeros_like(x) for x in LX]
    for j in chain.schedule:
        r = LX[j].copy()
        for i, g in enumerate(gam):
            if g.any():
                r -= chain.cross[j][i] @ g
        gam[j] += r
    return np.vstack(gam)


def unit_phi(chain: CalChain, stage) -> np.ndarray:
    """Unit (PSU) totals of all Phi columns at one stage: (U, Q), dense."""
    P = np.zeros((len(stage.unit_stratum), chain.Q), order="F")  # column access below
    offset = 0
    for b in chain.blocks:
        b.add_unit_totals(P[:, offset:offset + b.q], stage.unit, stage.units_are_rows)
        offset += b.q
    return P
