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
datasketch is imported when the parameters are first asked for, not with
this module: its package imports ``scipy.integrate`` (for the LSH
optimiser), about 0.4 s. A process that signs nothing need not pay it,
and the Prefect flow imports it in a thread while it waits on its API
(:func:`flows.clean.run_pipeline`).

The shingle hash is xxh32 by default (python-xxhash is the datasketch
``hashfunc``); datasketch's own default, the first four bytes of SHA-1, is
available for compatibility with signatures built without a ``hashfunc``.
Both are written out here (xxHash spec; FIPS 180-4) because numba provides
neither; neither is used for security.
"""
from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import xxhash
from numba import njit

from .shingles import TABLE_SIZE, tables

#: datasketch's default seed; signatures, the index and LeanMinHash objects all use it.
SEED = 1


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own ``(a, b)`` (uint32) for these parameters."""
    from datasketch import MinHash  # imported when first used: see the module docstring

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
        from datasketch.hashfunc import sha1_hash32

        return sha1_hash32
    if name == "xxh32":
        return xxhash.xxh32_intdigest
    raise ValueError(f"unknown shingle hash {name!r}; one of {HASHES}")


#: Most texts per compiled call: buffers stay in cache and the call overhead (a few µs) is noise.
BLOCK = 512


def signatures(texts: Sequence[str], num_perm: int = 128, shingle_words: int = 3, seed: int = SEED,
               hash_name: str = "xxh32", threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(signatures uint32[n, num_perm], distinct shingles int32[n])`` of the texts.

    Shingles are those of :func:`cleaners.dedup.shingles.word_shingles`; a text
    of fewer words than ``shingle_words`` is one shingle of all of them; a text
    without words has the empty signature (all ``2**32-1``, as a fresh
    datasketch MinHash) and size 0.

    Blocks of :data:`BLOCK` texts run on ``threads`` threads (default: the
    cores this process may use). The compiled kernel releases the GIL, so one
    thread's Python preparation of a block overlaps another's kernel.

    NFKC is the one step only Python does, and testing every text for it cost
    a tenth of the time: the kernel instead flags each text holding a
    character that NFKC might change (:func:`_nfkc_unstable`), and only those
    are normalised and signed again (10 of the 1,345 dev documents).
    """
    shingle_hash(hash_name)  # validates the name
    n = len(texts)
    a, b = permutations(num_perm, seed)
    is_word, lower = tables()
    ascii_map, unstable = _ascii_map(), _nfkc_unstable()
    kind = HASHES.index(hash_name)
    sigs = np.empty((n, num_perm), dtype=np.uint32)
    sizes = np.empty(n, dtype=np.int32)

    def kernel(parts: list[bytes], out_sigs: np.ndarray, out_sizes: np.ndarray) -> np.ndarray:
        buffer, starts, ends = _concatenate(parts)
        flagged = np.zeros(len(parts), dtype=np.bool_)
        _sign_all(buffer, starts, ends, shingle_words, a, b, ascii_map, is_word, lower, unstable, kind,
                  out_sigs, out_sizes, flagged)
        return flagged

    threads = threads or len(os.sched_getaffinity(0))
    block = max(16, min(BLOCK, -(-n // (4 * threads))))  # several blocks per thread: none waits on a last one

    def sign(lo: int) -> None:
        hi = min(lo + block, n)
        flagged = np.flatnonzero(kernel([_prepare(t) for t in texts[lo:hi]], sigs[lo:hi], sizes[lo:hi]))
        if len(flagged):
            again_sigs, again_sizes = sigs[lo + flagged], sizes[lo + flagged]
            kernel([_prepare(texts[lo + int(i)], nfkc=True) for i in flagged], again_sigs, again_sizes)
            sigs[lo + flagged], sizes[lo + flagged] = again_sigs, again_sizes

    blocks = range(0, n, block)
    threads = min(threads, len(blocks))
    if threads <= 1:
        for lo in blocks:
            sign(lo)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(sign, blocks))
    return sigs, sizes


@lru_cache(maxsize=1)
def _ascii_map() -> np.ndarray:
    """For each ASCII byte, its lower-case form if it is a word character, else 0 (the kernel's fast path)."""
    is_word, lower = tables()
    return np.array([lower[c] if is_word[lower[c]] else 0 for c in range(128)], dtype=np.uint8)


def _prepare(text: str, nfkc: bool = False) -> bytes:
    """What only Python does cheaply (soft hyphens out, NFKC when asked); the kernel does the rest.

    The no-break space and the ellipsis, the compatibility characters of
    everyday news text, are replaced by their NFKC forms here so that the
    kernel need not flag the texts that hold them. NFKC itself is applied
    line by line, to the lines that need it (a line break is a normalisation
    boundary): CPython's NFKC costs ~50 ns a character, so one fraction sign
    in a 50,000-character page costs 0.3 ms instead of 2.7 ms.
    """
    if text.isascii():
        return text.encode("ascii")
    if "\u00a0" in text:
        text = text.replace("\u00a0", " ")
    if "\u2026" in text:
        text = text.replace("\u2026", "...")
    if nfkc and not unicodedata.is_normalized("NFKC", text):
        text = "\n".join(line if unicodedata.is_normalized("NFKC", line) else unicodedata.normalize("NFKC", line)
                         for line in text.split("\n"))
    if "\u00ad" in text:
        text = text.replace("\u00ad", "")
    return text.encode("utf-8", "surrogatepass")


def _concatenate(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One buffer of all parts with each part's span."""
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    buffer = np.frombuffer(b"".join(parts), dtype=np.uint8) if parts else np.zeros(0, np.uint8)
    return buffer, starts, ends


@lru_cache(maxsize=1)
def _nfkc_unstable() -> np.ndarray:
    """bool[TABLE_SIZE]: characters in whose presence a text may not be in NFKC.

    A superset of those whose NFKC quick check is not "yes": characters NFKC
    changes on their own, combining marks (ccc > 0: their order may change),
    and every character that is the second of a canonical pair (it may compose
    with the one before), Hangul medial and final jamo included. A text of
    other characters is NFKC already (``tests/dedup/test_minhash.py`` checks
    random strings). Code points past the table are flagged by the kernel.
    """
    flags = np.zeros(TABLE_SIZE, dtype=np.bool_)
    for cp in range(0x80, TABLE_SIZE):
        ch = chr(cp)
        if 0xD800 <= cp < 0xE000:
            continue
        if unicodedata.combining(ch) or unicodedata.normalize("NFKC", ch) != ch:
            flags[cp] = True
        decomposition = unicodedata.decomposition(ch)
        if decomposition and not decomposition.startswith("<"):
            for part in decomposition.split()[1:]:
                flags[int(part, 16)] = True
    flags[0x1161:0x1176] = True  # Hangul vowel and trailing jamo compose algorithmically
    flags[0x11A8:0x11C3] = True
    return flags


@njit(cache=True, inline="always")
def _rotl(x: np.uint64, n: int) -> np.uint64:
    return ((x << np.uint64(n)) | (x >> np.uint64(32 - n))) & np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True, inline="always")
def _xxh32(buf: np.ndarray, r32: np.ndarray, start: int, end: int) -> np.uint64:
    """``xxhash.xxh32_intdigest(buf[start:end])`` (seed 0); ``r32[i]`` is the little-endian word at ``buf[i]``."""
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
            v1 = (_rotl((v1 + np.uint64(r32[pos]) * p2) & mask, 13) * p1) & mask
            v2 = (_rotl((v2 + np.uint64(r32[pos + 4]) * p2) & mask, 13) * p1) & mask
            v3 = (_rotl((v3 + np.uint64(r32[pos + 8]) * p2) & mask, 13) * p1) & mask
            v4 = (_rotl((v4 + np.uint64(r32[pos + 12]) * p2) & mask, 13) * p1) & mask
            pos += 16
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & mask
    else:
        h = p5
    h = (h + np.uint64(length)) & mask
    while pos + 4 <= end:
        h = (_rotl((h + np.uint64(r32[pos]) * p3) & mask, 17) * p4) & mask
        pos += 4
    while pos < end:
        h = (_rotl((h + np.uint64(buf[pos]) * p5) & mask, 11) * p1) & mask
        pos += 1
    h ^= h >> np.uint64(15)
    h = (h * p2) & mask
    h ^= h >> np.uint64(13)
    h = (h * p3) & mask
    return h ^ (h >> np.uint64(16))


@njit(cache=True, nogil=True)
def _normal_words(buf, s, e, ascii_map, is_word, lower, unstable, out, word_start):
    """Decode UTF-8, lower-case, keep word characters; write words single-spaced into ``out``.

    Returns (bytes written, words, whether a character NFKC may change was
    seen). ``word_start[i]`` is where word ``i`` starts in ``out``. ASCII, most bytes of most news text, takes one table look-up
    (``ascii_map``: the lower-case byte of a word character, else 0) and no
    branch on the word boundary: the byte or a space is always stored and the
    counters move by the boundary flags (a mispredicted branch every few bytes
    cost half the time). Other characters are decoded.
    """
    table = is_word.shape[0]
    n = 0
    n_words = 0
    flagged = False
    prev = 0  # 1 while inside a word
    pos = s
    while pos < e:
        c = np.int64(buf[pos])
        if c < 0x80:
            m = ascii_map[c]
            w = 1 if m != 0 else 0
            out[n] = m if w else 32
            word_start[n_words] = n  # kept only when a word starts here
            n_words += w & (1 - prev)
            n += w | prev  # a word byte, or the one space after a word
            prev = w
            pos += 1
            continue
        if c < 0xE0:
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
            flagged |= unstable[cp]
            cp = np.int64(lower[cp])
            word = is_word[cp]
        else:
            flagged = True
            word = True
        if not word:
            if prev:
                out[n] = 32
                n += 1
            prev = 0
            continue
        if not prev:
            word_start[n_words] = n
            n_words += 1
        prev = 1
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
    if prev == 0 and n > 0:
        n -= 1  # the space after the last word
    word_start[n_words] = n + 1  # as if a space followed the last word
    return n, n_words, flagged


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _sign_all(buf, starts, ends, k, a, b, ascii_map, is_word, lower, unstable, hash_kind,
              sigs, sizes, flagged):
    """Signatures of the texts ``buf[starts[d]:ends[d]]`` into ``sigs[d]``, ``flagged[d]`` when the text may
    need NFKC; releases the GIL (see :func:`signatures`)."""
    num_perm = a.shape[0]
    w = np.empty(80, dtype=np.uint64)
    block = np.empty(64, dtype=np.uint8)
    longest = 0
    for d in range(starts.shape[0]):
        longest = max(longest, ends[d] - starts[d])
    out = np.zeros(longest + 4, dtype=np.uint8)  # normal words can be at most as long as the text
    r32 = np.empty(longest + 1, dtype=np.uint32)
    word_start = np.empty(longest + 2, dtype=np.int64)
    hashes = np.empty(longest + 1, dtype=np.uint32)
    seen = np.empty(1 << max(4, int(np.ceil(np.log2(longest + 2))) + 1), dtype=np.uint64)
    for d in range(starts.shape[0]):
        used, n_words, flagged[d] = _normal_words(buf, starts[d], ends[d], ascii_map, is_word, lower, unstable, out,
                                                  word_start)
        if n_words == 0:
            sigs[d, :] = np.uint32(0xFFFFFFFF)
            sizes[d] = 0
            continue
        n_sh = 1 if n_words <= k else n_words - k + 1
        if hash_kind == 0:
            out[used:used + 3] = 0
            for i in range(used):  # every unaligned 32-bit read the hash makes, at once
                r32[i] = (np.uint32(out[i]) | (np.uint32(out[i + 1]) << np.uint32(8))
                          | (np.uint32(out[i + 2]) << np.uint32(16)) | (np.uint32(out[i + 3]) << np.uint32(24)))
            for i in range(n_sh):
                hashes[i] = np.uint32(_fmix32(_xxh32(out, r32, word_start[i], word_start[min(i + k, n_words)] - 1)))
        else:
            for i in range(n_sh):
                h = _sha1_first32(out, word_start[i], word_start[min(i + k, n_words)] - 1, w, block)
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
