"""MinHash signatures in batch, bit-for-bit equal to ``datasketch.MinHash``.

datasketch (2.x, default ``affine32`` scheme) hashes each shingle with its
``hashfunc``, pre-mixes the hash with the MurmurHash3 32-bit finalizer,
applies ``a_k * h + b_k mod 2**32`` for each permutation ``k`` and keeps the
minimum. ``update_batch`` does this with one Python call per shingle and a
fresh ``MinHash`` (with its ``RandomState`` draw) per document. Here the whole
batch is one compiled (numba) pass over one byte buffer: decoding, lower
case, word boundaries, the shingle hash, mix, permutations, minimum, and the
distinct-shingle count that containment needs. The permutation parameters
are taken from datasketch itself, so signatures stay interchangeable with
anything built on it: ``MinHash(num_perm, seed=1, hashfunc=shingle_hash())``
over :func:`~cleaners.dedup.shingles.word_shingles` gives the same values
(``tests/dedup/test_minhash.py`` checks equality on random documents).

The shingle hash is xxh32 by default (python-xxhash is the datasketch
``hashfunc``); datasketch's own default, the first four bytes of SHA-1, is
available for compatibility with signatures built without a ``hashfunc``.
Both are written out here (xxHash spec; FIPS 180-4) because numba provides
neither; neither is used for security.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import xxhash
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32
from numba import njit

from .shingles import tables

@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own ``(a, b)`` (uint32) for these parameters."""
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return a.copy(), b.copy()


#: Shingle hashes the kernel computes; each is a ``hashfunc`` datasketch accepts (see :func:`shingle_hash`).
HASHES = ("xxh32", "sha1")


def shingle_hash(name: str = "xxh32") -> Callable[[bytes], int]:
    """The shingle hash as a datasketch ``hashfunc``: ``MinHash(num_perm, seed=1, hashfunc=shingle_hash())``
    over :func:`~cleaners.dedup.shingles.word_shingles` gives the very signatures :func:`signatures` computes.

    ``xxh32`` (seed 0, the default) is datasketch-compatible and about 20 times
    cheaper than ``sha1`` (``datasketch.hashfunc.sha1_hash32``, datasketch's own
    default), which stays available for signatures shared with tools that use it.
    """
    if name == "sha1":
        return sha1_hash32
    if name == "xxh32":
        return xxhash.xxh32_intdigest
    raise ValueError(f"unknown shingle hash {name!r}; one of {HASHES}")


def signatures(texts: Sequence[str], num_perm: int = 128, shingle_words: int = 3, seed: int = 1,
               hash_name: str = "xxh32") -> tuple[np.ndarray, np.ndarray]:
    """``(signatures uint32[n, num_perm], distinct shingles int32[n])`` of the texts.

    Shingles are those of :func:`cleaners.dedup.shingles.word_shingles`; a text
    of fewer words than ``shingle_words`` is one shingle of all of them; a text
    without words has the empty signature (all ``2**32-1``, as a fresh
    datasketch MinHash) and size 0.
    """
    shingle_hash(hash_name)  # validates the name
    buffer, starts, ends = _encode(texts)
    a, b = permutations(num_perm, seed)
    is_word, lower = tables()
    sigs = np.empty((len(texts), num_perm), dtype=np.uint32)
    sizes = np.empty(len(texts), dtype=np.int32)
    _sign_all(buffer, starts, ends, shingle_words, a, b, is_word, lower, HASHES.index(hash_name), sigs, sizes)
    return sigs, sizes


def _prepare(text: str) -> bytes:
    """What only Python does cheaply: NFKC where it changes the text, soft hyphens out; the kernel does the rest.

    The no-break space and the ellipsis are the compatibility characters of
    everyday news text; replacing them by their NFKC forms first lets the
    quick ``is_normalized`` test spare most texts the full normalisation
    (about 10 times its cost).
    """
    if text.isascii():
        return text.encode("ascii")
    if "\u00a0" in text:
        text = text.replace("\u00a0", " ")
    if "\u2026" in text:
        text = text.replace("\u2026", "...")
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if "\u00ad" in text:
        text = text.replace("\u00ad", "")
    return text.encode("utf-8", "surrogatepass")


def _encode(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One UTF-8 buffer of all texts with each text's span."""
    parts = [_prepare(t) for t in texts]
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    buffer = np.frombuffer(b"".join(parts), dtype=np.uint8) if parts else np.zeros(0, np.uint8)
    return buffer, starts, ends


@njit(cache=True, inline="always")
def _rotl(x: np.uint64, n: int) -> np.uint64:
    return ((x << np.uint64(n)) | (x >> np.uint64(32 - n))) & np.uint64(0xFFFFFFFF)


@njit(cache=True)
def _sha1_first32(buf: np.ndarray, start: int, end: int, w: np.ndarray, block: np.ndarray) -> np.uint64:
    """``struct.unpack("<I", sha1(buf[start:end]).digest()[:4])[0]``."""
    mask = np.uint64(0xFFFFFFFF)
    h0 = np.uint64(0x67452301)
    h1 = np.uint64(0xEFCDAB89)
    h2 = np.uint64(0x98BADCFE)
    h3 = np.uint64(0x10325476)
    h4 = np.uint64(0xC3D2E1F0)
    length = end - start
    total = ((length + 8) // 64 + 1) * 64  # message + 0x80 + zeros + 8-byte bit length
    for offset in range(0, total, 64):
        for i in range(64):  # the block, padded where the message ends
            pos = offset + i
            if pos < length:
                block[i] = buf[start + pos]
            elif pos == length:
                block[i] = 0x80
            elif pos >= total - 8:
                block[i] = ((length * 8) >> (8 * (total - 1 - pos))) & 0xFF
            else:
                block[i] = 0
        for i in range(16):
            w[i] = ((np.uint64(block[4 * i]) << np.uint64(24)) | (np.uint64(block[4 * i + 1]) << np.uint64(16))
                    | (np.uint64(block[4 * i + 2]) << np.uint64(8)) | np.uint64(block[4 * i + 3]))
        for i in range(16, 80):
            w[i] = _rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1)
        a, b, c, d, e = h0, h1, h2, h3, h4
        for i in range(80):
            if i < 20:
                f = (b & c) | ((~b & mask) & d)
                k = np.uint64(0x5A827999)
            elif i < 40:
                f = b ^ c ^ d
                k = np.uint64(0x6ED9EBA1)
            elif i < 60:
                f = (b & c) | (b & d) | (c & d)
                k = np.uint64(0x8F1BBCDC)
            else:
                f = b ^ c ^ d
                k = np.uint64(0xCA62C1D6)
            temp = (_rotl(a, 5) + f + e + k + w[i]) & mask
            e = d
            d = c
            c = _rotl(b, 30)
            b = a
            a = temp
        h0 = (h0 + a) & mask
        h1 = (h1 + b) & mask
        h2 = (h2 + c) & mask
        h3 = (h3 + d) & mask
        h4 = (h4 + e) & mask
    # the digest's first four bytes are h0 big-endian; datasketch reads them little-endian
    return (((h0 & np.uint64(0xFF)) << np.uint64(24)) | (((h0 >> np.uint64(8)) & np.uint64(0xFF)) << np.uint64(16))
            | (((h0 >> np.uint64(16)) & np.uint64(0xFF)) << np.uint64(8)) | (h0 >> np.uint64(24)))


@njit(cache=True, inline="always")
def _fmix32(h: np.uint64) -> np.uint64:
    mask = np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & mask
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & mask
    return h ^ (h >> np.uint64(16))


@njit(cache=True)
def _xxh32(buf: np.ndarray, start: int, end: int) -> np.uint64:
    """``xxhash.xxh32_intdigest(buf[start:end])`` (seed 0)."""
    mask = np.uint64(0xFFFFFFFF)
    p1, p2, p3 = np.uint64(2654435761), np.uint64(2246822519), np.uint64(3266489917)
    p4, p5 = np.uint64(668265263), np.uint64(374761393)
    length = end - start
    pos = start
    if length >= 16:
        v1 = (p1 + p2) & mask
        v2 = p2
        v3 = np.uint64(0)
        v4 = (np.uint64(0x100000000) - p1) & mask
        while pos + 16 <= end:
            v1 = (_rotl((v1 + _read32(buf, pos) * p2) & mask, 13) * p1) & mask
            v2 = (_rotl((v2 + _read32(buf, pos + 4) * p2) & mask, 13) * p1) & mask
            v3 = (_rotl((v3 + _read32(buf, pos + 8) * p2) & mask, 13) * p1) & mask
            v4 = (_rotl((v4 + _read32(buf, pos + 12) * p2) & mask, 13) * p1) & mask
            pos += 16
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & mask
    else:
        h = p5
    h = (h + np.uint64(length)) & mask
    while pos + 4 <= end:
        h = (_rotl((h + _read32(buf, pos) * p3) & mask, 17) * p4) & mask
        pos += 4
    while pos < end:
        h = (_rotl((h + np.uint64(buf[pos]) * p5) & mask, 11) * p1) & mask
        pos += 1
    h ^= h >> np.uint64(15)
    h = (h * p2) & mask
    h ^= h >> np.uint64(13)
    h = (h * p3) & mask
    return h ^ (h >> np.uint64(16))


@njit(cache=True, inline="always")
def _read32(buf: np.ndarray, pos: int) -> np.uint64:
    return (np.uint64(buf[pos]) | (np.uint64(buf[pos + 1]) << np.uint64(8)) | (np.uint64(buf[pos + 2]) << np.uint64(16))
            | (np.uint64(buf[pos + 3]) << np.uint64(24)))


@njit(cache=True)
def _normal_words(buf, s, e, is_word, lower, out, word_start):  # noqa: ANN001 (numba kernel)
    """Decode UTF-8, lower-case, keep word characters; write words single-spaced into ``out``.

    Returns (bytes written, words). ``word_start[i]`` is where word ``i`` starts in ``out``.
    """
    table = is_word.shape[0]
    n = 0
    n_words = 0
    in_word = False
    pos = s
    while pos < e:
        c = np.int64(buf[pos])
        if c < 0x80:
            cp, size = c, 1
        elif c < 0xE0:
            cp, size = ((c & 0x1F) << 6) | (np.int64(buf[pos + 1]) & 0x3F), 2
        elif c < 0xF0:
            cp = ((c & 0x0F) << 12) | ((np.int64(buf[pos + 1]) & 0x3F) << 6) | (np.int64(buf[pos + 2]) & 0x3F)
            size = 3
        else:
            cp = (((c & 0x07) << 18) | ((np.int64(buf[pos + 1]) & 0x3F) << 12)
                  | ((np.int64(buf[pos + 2]) & 0x3F) << 6) | (np.int64(buf[pos + 3]) & 0x3F))
            size = 4
        pos += size
        if cp < table:
            cp = np.int64(lower[cp])
            word = is_word[cp]
        else:
            word = True
        if not word:
            in_word = False
            continue
        if not in_word:
            if n_words > 0:
                out[n] = 32
                n += 1
            word_start[n_words] = n
            n_words += 1
            in_word = True
        if cp < 0x80:
            out[n] = cp
            n += 1
        elif cp < 0x800:
            out[n] = 0xC0 | (cp >> 6)
            out[n + 1] = 0x80 | (cp & 0x3F)
            n += 2
        elif cp < 0x10000:
            out[n] = 0xE0 | (cp >> 12)
            out[n + 1] = 0x80 | ((cp >> 6) & 0x3F)
            out[n + 2] = 0x80 | (cp & 0x3F)
            n += 3
        else:
            out[n] = 0xF0 | (cp >> 18)
            out[n + 1] = 0x80 | ((cp >> 12) & 0x3F)
            out[n + 2] = 0x80 | ((cp >> 6) & 0x3F)
            out[n + 3] = 0x80 | (cp & 0x3F)
            n += 4
    word_start[n_words] = n + 1  # as if a space followed the last word
    return n, n_words


@njit(cache=True)
def _distinct(hashes: np.ndarray, n: int, seen: np.ndarray) -> int:
    """How many distinct values ``hashes[:n]`` holds: an open-addressing set (a sort took a third of the kernel)."""
    size = 16
    while size < 2 * n:
        size *= 2
    empty = np.uint64(1 << 40)  # no 32-bit value
    seen[:size] = empty
    mask = size - 1
    count = 0
    for i in range(n):
        h = np.uint64(hashes[i])
        slot = int((h * np.uint64(0x9E3779B1)) >> np.uint64(7)) & mask
        while seen[slot] != empty and seen[slot] != h:
            slot = (slot + 1) & mask
        if seen[slot] == empty:
            seen[slot] = h
            count += 1
    return count


@njit(cache=True)
def _sign_all(buf, starts, ends, k, a, b, is_word, lower, hash_kind, sigs, sizes):  # noqa: ANN001
    num_perm = a.shape[0]
    w = np.empty(80, dtype=np.uint64)
    block = np.empty(64, dtype=np.uint8)
    longest = 0
    for d in range(starts.shape[0]):
        longest = max(longest, ends[d] - starts[d])
    out = np.empty(longest + 1, dtype=np.uint8)
    word_start = np.empty(longest + 2, dtype=np.int64)
    hashes = np.empty(longest + 1, dtype=np.uint32)
    seen = np.empty(1 << max(4, int(np.ceil(np.log2(longest + 2))) + 1), dtype=np.uint64)
    for d in range(starts.shape[0]):
        _, n_words = _normal_words(buf, starts[d], ends[d], is_word, lower, out, word_start)
        if n_words == 0:
            sigs[d, :] = np.uint32(0xFFFFFFFF)
            sizes[d] = 0
            continue
        n_sh = 1 if n_words <= k else n_words - k + 1
        for i in range(n_sh):
            last = min(i + k, n_words)
            if hash_kind == 0:
                h = _xxh32(out, word_start[i], word_start[last] - 1)
            else:
                h = _sha1_first32(out, word_start[i], word_start[last] - 1, w, block)
            hashes[i] = np.uint32(_fmix32(h))
        for p in range(num_perm):  # one min-reduction per permutation
            ap, bp = a[p], b[p]
            least = np.uint32(0xFFFFFFFF)
            for i in range(n_sh):
                least = min(least, np.uint32(ap * hashes[i] + bp))
            sigs[d, p] = least
        sizes[d] = _distinct(hashes, n_sh, seen)


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of row pairs (as ``MinHash.jaccard``): the share of equal positions."""
    return np.count_nonzero(sig_a == sig_b, axis=-1) / sig_a.shape[-1]
