"""Abandon-risk maths for predictive pacing: how many of ``n`` new calls' answers find no agent.

Over a horizon of ``k = 1..H`` seconds, ``X_k(n) = A_k + B_k(n) - R - V_k`` where ``A_k``
counts answers within ``k`` s from calls already ringing (independent Bernoullis, one row
of ``ring`` per call), ``B_k(n) ~ Binomial(n, q_k)`` the answers from ``n`` calls launched
now, ``R`` the agents free now and ``V_k`` the busy agents freed within ``k`` s plus the
customers' patience (one row of ``freed`` per agent). Lost answers over the horizon are
``L = max_k X_k^+`` (the reflection identity of a queue whose customers leave when no agent
is there); the pacer needs the marginal ``E[L](n) - E[L](n-1)``, bounded here by
``max_k (E[X_k(n)^+] - E[X_k(n-1)^+])``, which is not masked by risk the ringing calls
already carry at some other ``k``.

Two evaluations of ``E[X_k^+]``: exact, from the Poisson-binomial distributions built by
dynamic programming (small teams, where the normal approximation is poor), and normal
(central limit), ``E[X^+] = mu Phi(mu/sigma) + sigma phi(mu/sigma)``.
"""

from __future__ import annotations

import math

import numpy as np

from engine.pacing.base import FloatArray
from engine.pacing.estimators import erf

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def expected_positive_part(mean: FloatArray, variance: FloatArray) -> FloatArray:
    """``E[max(X, 0)]`` for ``X ~ Normal(mean, variance)``, element-wise."""
    sigma = np.sqrt(np.maximum(variance, 1e-12))
    z = mean / sigma
    cdf = 0.5 * (1.0 + erf(z / _SQRT2))
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    return np.asarray(mean * cdf + sigma * pdf, dtype=np.float64)


def conditional_end_table(cdf: FloatArray, ages: int, horizon: int) -> FloatArray:
    """``T[i, k] = P(X < i + k | X >= i)`` for ``i < ages``, ``k <= horizon``.

    ``cdf[j] = P(X < j + 1)`` (see :class:`DurationEstimator`); beyond its end ``X`` has ended.
    """
    c = np.concatenate(([0.0], cdf, np.ones(ages + horizon + 1)))  # c[j] = P(X < j)
    rows = np.arange(ages)[:, None] + np.arange(horizon + 1)[None, :]
    survival = np.maximum(1.0 - c[:ages], 1e-12)[:, None]
    return np.clip((c[rows] - c[:ages, None]) / survival, 0.0, 1.0)


def _poisson_binomial(probs: FloatArray, horizon: int) -> FloatArray:
    """``pmf[k, j] = P(sum of Bernoulli(probs[:, k]) = j)`` by dynamic programming."""
    pmf = np.zeros((horizon, probs.shape[0] + 1))
    pmf[:, 0] = 1.0
    for count, row in enumerate(probs, start=1):
        moved = pmf[:, :count] * row[:, None]
        pmf[:, :count] *= (1.0 - row)[:, None]
        pmf[:, 1:count + 1] += moved
    return pmf


def exact_marginal_lost(ring: FloatArray, freed: FloatArray, free_now: int, q: FloatArray,
                        calls: int, limit: float) -> FloatArray:
    """Marginal lost answers of the 1st..``calls``-th new call, stopping once one exceeds ``limit``."""
    horizon = q.size
    answers = _poisson_binomial(ring, horizon)
    agents = _poisson_binomial(freed, horizon)
    released = freed.shape[0]
    size = answers.shape[1] + released + calls
    # difference pmf: index i <-> value i - released of A_k - V_k
    diff = np.zeros((horizon, size))
    for k in range(horizon):
        conv = np.convolve(answers[k], agents[k][::-1])
        diff[k, :conv.size] = conv
    loss = np.maximum(np.arange(size) - released - free_now, 0).astype(np.float64)
    before = diff @ loss
    out = []
    for _ in range(calls):
        moved = diff[:, :-1] * q[:, None]
        diff *= (1.0 - q)[:, None]
        diff[:, 1:] += moved
        after = diff @ loss
        out.append(float(np.max(after - before)))
        if out[-1] > limit:
            break
        before = after
    return np.asarray(out, dtype=np.float64)


def normal_marginal_lost(ring: FloatArray, freed: FloatArray, free_now: int, q: FloatArray,
                         calls: int) -> FloatArray:
    """Marginal lost answers of the 1st..``calls``-th new call, normal approximation."""
    mean = ring.sum(axis=0) - freed.sum(axis=0) - free_now
    variance = (ring * (1 - ring)).sum(axis=0) + (freed * (1 - freed)).sum(axis=0)
    n = np.arange(calls + 1, dtype=np.float64)[:, None]
    lost = expected_positive_part(mean[None, :] + n * q[None, :], variance[None, :] + n * (q * (1 - q))[None, :])
    return np.asarray(np.diff(lost, axis=0).max(axis=1), dtype=np.float64)


def calls_within_risk(ring: FloatArray, freed: FloatArray, free_now: int, q: FloatArray,
                      cap: int, limit: float, exact_terms: int = 120) -> int:
    """Largest ``n <= cap`` whose marginal expected lost answers stay ``<= limit``.

    Exact when ringing calls + busy agents + ``cap`` are at most ``exact_terms``; the
    marginal grows with ``n`` (``E[X^+]`` is convex in ``n``), so the first ``n`` over the
    limit ends the search.
    """
    # agents certain to be free count as free now; rows that cannot happen drop out
    certain = freed.min(axis=1) > 1.0 - 1e-9
    free_now += int(np.count_nonzero(certain))
    freed = freed[~certain & (freed.max(axis=1) > 1e-4)]
    ring = ring[ring.max(axis=1) > 1e-4]
    if ring.shape[0] + freed.shape[0] + min(cap, 64) <= exact_terms:
        marginal = exact_marginal_lost(ring, freed, free_now, q, min(cap, 64), limit)
        over = np.nonzero(marginal > limit)[0]
        return int(over[0]) if over.size else marginal.size
    high = min(cap, 32)
    while True:
        marginal = normal_marginal_lost(ring, freed, free_now, q, high)
        over = np.nonzero(marginal > limit)[0]
        if over.size or high >= cap:
            return int(over[0]) if over.size else high
        high = min(cap, high * 2)
