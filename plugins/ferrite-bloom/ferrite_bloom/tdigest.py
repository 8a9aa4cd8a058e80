"""A merging t-digest as RedisBloom keeps one (Dunning's MergingDigest, as in t-digest-c).

Observations go to an unmerged buffer; when merged centroids plus buffer reach the capacity
`6 * compression + 10` (or before any query) everything is sorted by mean and swept once,
folding a neighbour into the current centroid while the combined weight `w` keeps
`w * compression / (2 pi n ln n) <= q (1 - q)` at both ends of the centroid (`q` the share of
all weight before/after it). So centroids are small (often single points) at the tails and
large in the middle. Quantiles and CDFs interpolate between centroid centres, treating
single-point centroids as exact, and use the exact minimum and maximum at the ends.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

DEFAULT_COMPRESSION = 100
MAX_COMPRESSION = 10_000_000
#: Encoding version of snapshot records (RedisBloom's TDIGEST_ENC_VER).
ENCODING_VERSION = 1


def capacity_for(compression: float) -> int:
    return int(6 * compression) + 10


def _weighted_average(x1: float, w1: float, x2: float, w2: float) -> float:
    """The weighted mean of two points, kept between them despite rounding."""
    if x1 > x2:
        x1, w1, x2, w2 = x2, w2, x1, w1
    value = (x1 * w1 + x2 * w2) / (w1 + w2)
    return max(x1, min(value, x2))


def _round_half_down(value: float) -> int:
    whole = math.floor(value)
    return whole if value - whole <= 0.5 else whole + 1


@dataclass
class TDigest:
    compression: float
    means: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    merged_nodes: int = 0
    merged_weight: float = 0.0
    unmerged_weight: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    total_compressions: int = 0

    @property
    def capacity(self) -> int:
        return capacity_for(self.compression)

    @property
    def unmerged_nodes(self) -> int:
        return len(self.means) - self.merged_nodes

    @property
    def total_weight(self) -> float:
        return self.merged_weight + self.unmerged_weight

    @property
    def memory_bytes(self) -> int:
        """TDIGEST.INFO `Memory usage`: two doubles per node plus the header."""
        return 16 * self.capacity + 8

    def reset(self) -> None:
        self.means.clear()
        self.weights.clear()
        self.merged_nodes = 0
        self.merged_weight = self.unmerged_weight = 0.0
        self.minimum, self.maximum = math.inf, -math.inf
        self.total_compressions = 0

    def add(self, value: float, weight: float = 1.0) -> None:
        if len(self.means) >= self.capacity:
            self.compress()
        self.means.append(value)
        self.weights.append(weight)
        self.unmerged_weight += weight
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)

    def absorb(self, other: TDigest) -> None:
        """Add every centroid of `other` (td_merge); min and max carried over exactly."""
        other.compress()
        for mean, weight in zip(other.means, other.weights, strict=True):
            self.add(mean, weight)
        if other.means:
            self.minimum = min(self.minimum, other.minimum)
            self.maximum = max(self.maximum, other.maximum)

    def compress(self) -> None:
        """Merge the buffer into the centroids (one sorted sweep)."""
        if self.unmerged_nodes == 0:
            return
        nodes = sorted(zip(self.means, self.weights, strict=True), key=lambda node: node[0])
        total = self.total_weight
        denominator = 2 * math.pi * total * math.log(total) if total > 0 else 0.0
        normalizer = self.compression / denominator if denominator > 0 else math.inf
        means = [nodes[0][0]]
        weights = [nodes[0][1]]
        so_far = 0.0
        for mean, weight in nodes[1:]:
            proposed = weights[-1] + weight
            z = proposed * normalizer
            q0 = so_far / total
            q2 = (so_far + proposed) / total
            if z <= q0 * (1 - q0) and z <= q2 * (1 - q2):
                weights[-1] += weight
                means[-1] += (mean - means[-1]) * weight / weights[-1]
            else:
                so_far += weights[-1]
                means.append(mean)
                weights.append(weight)
        self.means, self.weights = means, weights
        self.merged_nodes = len(means)
        self.merged_weight = total
        self.unmerged_weight = 0.0
        self.total_compressions += 1

    # -- queries (each compresses first, as RedisBloom does) ----------------------------------

    def min(self) -> float:
        return self.minimum if self.means else math.nan

    def max(self) -> float:
        return self.maximum if self.means else math.nan

    def quantile(self, q: float) -> float:
        self.compress()
        means, weights = self.means, self.weights
        n = len(means)
        if n == 0 or not 0 <= q <= 1:
            return math.nan
        if n == 1:
            return means[0]
        total = self.merged_weight
        index = q * total
        if index < 1:
            return self.minimum
        if weights[0] > 1 and index < weights[0] / 2:
            return self.minimum + (index - 1) / (weights[0] / 2 - 1) * (means[0] - self.minimum)
        if index > total - 1:
            return self.maximum
        last = weights[-1]
        if last > 1 and total - index <= last / 2:
            return self.maximum - (total - index - 1) / (last / 2 - 1) * (self.maximum - means[-1])
        so_far = weights[0] / 2
        for i in range(n - 1):
            step = (weights[i] + weights[i + 1]) / 2
            if so_far + step > index:
                left_unit = 0.0
                if weights[i] == 1:
                    if index - so_far < 0.5:
                        return means[i]
                    left_unit = 0.5
                right_unit = 0.0
                if weights[i + 1] == 1:
                    if so_far + step - index <= 0.5:
                        return means[i + 1]
                    right_unit = 0.5
                z1 = index - so_far - left_unit
                z2 = so_far + step - index - right_unit
                return _weighted_average(means[i], z2, means[i + 1], z1)
            so_far += step
        z1 = index - (total - last / 2)
        z2 = last / 2 - z1
        return _weighted_average(means[-1], z1, self.maximum, z2)

    def cdf(self, x: float) -> float:
        """Share of the weight below `x`, plus half of the weight at `x`."""
        self.compress()
        means, weights = self.means, self.weights
        n = len(means)
        if n == 0:
            return math.nan
        if x < self.minimum:
            return 0.0
        if x > self.maximum:
            return 1.0
        if n == 1:
            return 0.5
        total = self.merged_weight
        if x < means[0]:
            if means[0] - self.minimum > 0:
                if x == self.minimum:
                    return 0.5 / total
                return (
                    1 + (x - self.minimum) / (means[0] - self.minimum) * (weights[0] / 2 - 1)
                ) / total
            return 0.0
        if x > means[-1]:
            if self.maximum - means[-1] > 0:
                if x == self.maximum:
                    return 1 - 0.5 / total
                tail = (
                    1 + (self.maximum - x) / (self.maximum - means[-1]) * (weights[-1] / 2 - 1)
                ) / total
                return 1 - tail
            return 1.0
        so_far = 0.0
        i = 0
        while i < n - 1:
            if means[i] == x:
                at_x = 0.0
                while i < n and means[i] == x:
                    at_x += weights[i]
                    i += 1
                return (so_far + at_x / 2) / total
            if means[i] <= x < means[i + 1]:
                left, right = means[i], means[i + 1]
                if right - left > 0:
                    left_excluded = right_excluded = 0.0
                    if weights[i] == 1:
                        if weights[i + 1] == 1:
                            return (so_far + 1) / total
                        left_excluded = 0.5
                    elif weights[i + 1] == 1:
                        right_excluded = 0.5
                    step = (weights[i] + weights[i + 1]) / 2
                    inner = step - left_excluded - right_excluded
                    base = so_far + weights[i] / 2 + left_excluded
                    return (base + inner * (x - left) / (right - left)) / total
                return (so_far + (weights[i] + weights[i + 1]) / 2) / total
            so_far += weights[i]
            i += 1
        return 1 - 0.5 / total

    def rank(self, x: float, reverse: bool = False) -> int:
        """Observations below `x` plus half of those equal (above, when `reverse`).

        The estimate is rounded half down (so a single smallest observation has rank 0).
        -2 for an empty digest; -1 beyond the far end; the number of observations beyond
        the near end.
        """
        if not self.means:
            return -2
        total = round(self.total_weight)
        if x < self.minimum:
            return total if reverse else -1
        if x > self.maximum:
            return -1 if reverse else total
        below = self.cdf(x) * self.merged_weight
        return _round_half_down(self.merged_weight - below if reverse else below)

    def by_rank(self, rank: int, reverse: bool = False) -> float:
        """The value with that rank (0 the smallest, or the largest when `reverse`)."""
        if not self.means:
            return math.nan
        self.compress()
        total = self.merged_weight
        if rank >= total:
            return -math.inf if reverse else math.inf
        if rank == 0:
            return self.maximum if reverse else self.minimum
        position = total - 1 - rank if reverse else rank
        return self.quantile(position / total)

    def trimmed_mean(self, low: float, high: float) -> float:
        """Mean of the observations between the `low` and `high` quantiles."""
        self.compress()
        if not self.means:
            return math.nan
        total = self.merged_weight
        left = math.floor(total * low)
        right = math.ceil(total * high)
        done = 0.0
        trimmed_sum = trimmed_count = 0.0
        for mean, weight in zip(self.means, self.weights, strict=True):
            part = weight - min(max(0.0, left - done), weight)
            part = min(max(0.0, right - done), part)
            done += weight
            trimmed_sum += mean * part
            trimmed_count += part
            if done >= right:
                break
        return trimmed_sum / trimmed_count if trimmed_count else math.nan

    def copy(self) -> TDigest:
        return TDigest(
            self.compression,
            list(self.means),
            list(self.weights),
            self.merged_nodes,
            self.merged_weight,
            self.unmerged_weight,
            self.minimum,
            self.maximum,
            self.total_compressions,
        )


_HEADER = struct.Struct("<dQQddddQ")


def rdb_save(digest: TDigest) -> bytes:
    header = _HEADER.pack(
        digest.compression,
        len(digest.means),
        digest.merged_nodes,
        digest.merged_weight,
        digest.unmerged_weight,
        digest.minimum,
        digest.maximum,
        digest.total_compressions,
    )
    nodes = struct.pack(f"<{2 * len(digest.means)}d", *digest.means, *digest.weights)
    return header + nodes


def rdb_load(data: bytes, encver: int) -> TDigest:
    if encver > ENCODING_VERSION:
        raise ValueError(f"t-digests saved with encoding version {encver} are not readable")
    (compression, nodes, merged, merged_weight, unmerged_weight, minimum, maximum, total) = (
        _HEADER.unpack_from(data, 0)
    )
    if len(data) != _HEADER.size + 16 * nodes or merged > nodes:
        raise ValueError("t-digest record has the wrong size")
    values = struct.unpack_from(f"<{2 * nodes}d", data, _HEADER.size)
    return TDigest(
        compression,
        list(values[:nodes]),
        list(values[nodes:]),
        merged,
        merged_weight,
        unmerged_weight,
        minimum,
        maximum,
        total,
    )
