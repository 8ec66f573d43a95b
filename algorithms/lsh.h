/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_LSH_H
#define VX_ALGORITHMS_LSH_H

/*
 * Locality-sensitive hashing: short signatures whose agreement estimates a
 * similarity, and an index that finds similar items without comparing every pair.
 *
 * SimHash (M. Charikar, "Similarity estimation techniques from rounding
 * algorithms", STOC 2002): a 64-bit signature of a float vector, bit i = the side
 * of the random hyperplane i the vector lies on. With Gaussian hyperplanes, for
 * two vectors at angle θ each bit agrees with probability exactly 1 − θ/π,
 * independently of the other bits, so the Hamming distance d of two signatures is
 * Binomial(64, θ/π) and cos(π·d/64) estimates their cosine (θ's standard error
 * is π·sqrt(p(1−p)/64) ≤ 0.2 rad: a coarse, very cheap estimate).
 *
 * MinHash (A. Broder, "On the resemblance and containment of documents", 1997):
 * a signature of K minima, slot i = min over the set of h_i(x). For min-wise
 * independent h_i, slot i of two sets agrees with probability exactly their
 * Jaccard similarity J = |A ∩ B| / |A ∪ B|, so the fraction of equal slots is an
 * unbiased estimate of J with standard error sqrt(J(1−J)/K) (K = 128: ≤ 0.044).
 * The signature of A ∪ B is the slot-wise minimum of theirs (merge).
 *
 * Banding (P. Indyk, R. Motwani, "Approximate nearest neighbors", STOC 1998;
 * J. Leskovec, A. Rajaraman, J. Ullman, "Mining of Massive Datasets", ch. 3):
 * cut the K slots into b bands of r rows; two items become candidates when all r
 * slots of at least one band agree, which happens with probability
 * 1 − (1 − J^r)^b: an S-curve rising near J = (1/b)^(1/r). Only items sharing a
 * band bucket are compared, instead of all n.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest SimHash dimension: its matrix is dim·64 floats (2 MiB at the cap). */
#define VX_SIMHASH_MAX_DIM 8192
/* Largest MinHash signature, in slots (8 KiB of minima at the cap). */
#define VX_MINHASH_MAX_K 1024
/* Longest shingle vx_minhash_add_shingles() accepts, in bytes or words. */
#define VX_SHINGLE_MAX_N 32

/* ---- SimHash ----------------------------------------------------------------- */

struct vx_simhash;

/**
 * vx_simhash_create() - 64 random hyperplanes through the origin of R^dim.
 * @out:  the new signer.
 * @dim:  vector length, 1 .. VX_SIMHASH_MAX_DIM.
 * @seed: chooses the hyperplanes: signers with equal (dim, seed) sign alike.
 *
 * The hyperplanes' normals have i.i.d. standard Gaussian entries generated from
 * @seed, which makes their directions uniform and the 1 − θ/π law exact. The
 * whole matrix is built here so that signing never allocates.
 *
 * Context: allocates (dim·256 bytes).
 * Return: 0, -EINVAL for a bad @dim, -ENOMEM.
 */
int vx_simhash_create(struct vx_simhash **out, size_t dim, uint64_t seed);

/**
 * vx_simhash_destroy() - free a signer.
 * @s: from vx_simhash_create() or vx_simhash_deserialize(), or NULL.
 *
 * Context: frees memory; not for real-time threads.
 */
void vx_simhash_destroy(struct vx_simhash *s);

/**
 * vx_simhash_sign() - the 64-bit signature of a vector.
 * @s: signer.
 * @v: dim floats (need not be normalised: positive scaling keeps the signature).
 *
 * Bit i is 1 when the projection on normal i is >= 0 (so the zero vector signs
 * as all ones), 0 when it is negative or NaN.
 *
 * Context: real-time safe: dim·64 multiply-adds, no allocation.
 * Return: the signature.
 */
uint64_t vx_simhash_sign(const struct vx_simhash *s, const float *v);

/**
 * vx_simhash_dim() - the dimension the signer was created for.
 * @s: signer.
 *
 * Context: real-time safe.
 * Return: dim, the number of floats vx_simhash_sign() reads.
 */
size_t vx_simhash_dim(const struct vx_simhash *s);

/**
 * vx_simhash_distance() - Hamming distance of two signatures.
 * @a, @b: signatures.
 *
 * Context: real-time safe.
 * Return: the number of differing bits, 0 .. 64.
 */
unsigned vx_simhash_distance(uint64_t a, uint64_t b);

/**
 * vx_simhash_cosine() - estimated cosine similarity of two signed vectors.
 * @a, @b: signatures from the same signer.
 *
 * Context: real-time safe.
 * Return: cos(π·d/64), d the Hamming distance: 1 for equal signatures, -1 for
 * complementary ones.
 */
double vx_simhash_cosine(uint64_t a, uint64_t b);

/**
 * vx_simhash_serialize() - write the signer's (dim, seed); the hyperplanes are
 * regenerated from them.
 * @s:   signer.
 * @buf: destination, or NULL to ask the size.
 * @cap: bytes at @buf.
 *
 * Context: real-time safe (no allocation).
 * Return: bytes written (or needed when @buf is NULL), or -ENOSPC.
 */
ssize_t vx_simhash_serialize(const struct vx_simhash *s, void *buf, size_t cap);

/**
 * vx_simhash_deserialize() - a signer from vx_simhash_serialize()'s bytes.
 * @out: the new signer.
 * @buf: bytes.
 * @len: their exact count.
 *
 * The hyperplanes are regenerated, so the allocation is dim·256 bytes although
 * the payload is 12: dim is checked against VX_SIMHASH_MAX_DIM first.
 *
 * Context: allocates.
 * Return: 0, -EINVAL for anything malformed, -ENOMEM.
 */
int vx_simhash_deserialize(struct vx_simhash **out, const void *buf, size_t len);

/**
 * vx_simhash_footprint() - memory the signer holds.
 * @s: signer.
 *
 * Context: real-time safe.
 * Return: bytes, the hyperplanes included (dim·256 + a few).
 */
size_t vx_simhash_footprint(const struct vx_simhash *s);

/* ---- MinHash ----------------------------------------------------------------- */

struct vx_minhash;

/* How vx_minhash_add_shingles() cuts text into elements. */
enum vx_shingle_unit {
	VX_SHINGLE_BYTES, /* every n consecutive bytes */
	VX_SHINGLE_WORDS, /* every n consecutive words; words split on ASCII white space */
};

/**
 * vx_minhash_create() - an empty MinHash signature of @k slots.
 * @out:  the new signature.
 * @k:    slots, 1 .. VX_MINHASH_MAX_K: the standard error is sqrt(J(1−J)/k).
 * @seed: chooses the k hash functions; only signatures with equal (k, seed)
 *        compare or merge.
 *
 * Context: allocates everything (k·16 bytes); add/similarity/merge then never do.
 * Return: 0, -EINVAL for a bad @k, -ENOMEM.
 */
int vx_minhash_create(struct vx_minhash **out, size_t k, uint64_t seed);

/**
 * vx_minhash_destroy() - free a signature.
 * @m: from vx_minhash_create() or vx_minhash_deserialize(), or NULL.
 *
 * Context: frees memory; not for real-time threads.
 */
void vx_minhash_destroy(struct vx_minhash *m);

/**
 * vx_minhash_reset() - empty the signature (same k and seed), for reuse.
 * @m: signature.
 *
 * Context: real-time safe.
 */
void vx_minhash_reset(struct vx_minhash *m);

/**
 * vx_minhash_add() - add one element of the set, by its bytes.
 * @m:    signature.
 * @data: element bytes (hashed with vx_hash64()).
 * @len:  their count.
 *
 * Adding an element twice, or in any order, gives the same signature.
 *
 * Context: real-time safe: k hash evaluations.
 */
void vx_minhash_add(struct vx_minhash *m, const void *data, size_t len);

/**
 * vx_minhash_add_hash() - add one element by the caller's own 64-bit hash of it.
 * @m:    signature.
 * @hash: the element's hash (vx_minhash_add() passes vx_hash64() of the bytes).
 *
 * Context: real-time safe.
 */
void vx_minhash_add_hash(struct vx_minhash *m, uint64_t hash);

/**
 * vx_minhash_add_shingles() - add the n-shingles of a text as elements.
 * @m:    signature.
 * @text: bytes (need not be NUL-terminated; may be NULL when @len is 0).
 * @len:  their count.
 * @n:    shingle length, in bytes or in words (1 .. VX_SHINGLE_MAX_N).
 * @unit: VX_SHINGLE_BYTES: each window of n bytes is added as vx_minhash_add()
 *        would add it. VX_SHINGLE_WORDS: each run of n consecutive words is one
 *        element; runs of white space count as one separator and leading or
 *        trailing white space is ignored, so the element depends on the words only.
 *        A text shorter than n units (but not empty) is one shingle of all of it,
 *        so that short lines still get a signature; an empty text adds nothing.
 *
 * Bytes are compared as they are: fold case or normalise Unicode beforehand.
 *
 * Context: real-time safe, no allocation.
 * Return: 0, or -EINVAL for a bad @n or @unit.
 */
int vx_minhash_add_shingles(struct vx_minhash *m, const char *text, size_t len, size_t n,
			    enum vx_shingle_unit unit);

/**
 * vx_shingle_hashes() - the hashes of a text's n-shingles, exactly the elements
 * vx_minhash_add_shingles() adds (repeats included), for exact comparisons.
 * @text: bytes (may be NULL when @len is 0).
 * @len:  their count.
 * @n:    shingle length, as for vx_minhash_add_shingles().
 * @unit: bytes or words, as for vx_minhash_add_shingles().
 * @out:  room for @cap hashes, or NULL to count them.
 * @cap:  its size.
 *
 * Context: real-time safe, no allocation.
 * Return: the number of shingles (writes at most @cap of them), or -EINVAL for a
 * bad @n or @unit.
 */
ssize_t vx_shingle_hashes(const char *text, size_t len, size_t n, enum vx_shingle_unit unit,
			  uint64_t *out, size_t cap);

/**
 * vx_minhash_similarity() - estimated Jaccard similarity of two sets.
 * @a, @b: signatures with equal k and seed.
 *
 * Two empty sets have similarity 1 (as vx_exact_jaccard() says).
 *
 * Context: real-time safe.
 * Return: the fraction of equal slots, in [0, 1]; NaN if the signatures are
 * incompatible.
 */
double vx_minhash_similarity(const struct vx_minhash *a, const struct vx_minhash *b);

/**
 * vx_minhash_merge() - turn @dst into the signature of the union of both sets.
 * @dst: signature, updated (slot-wise minimum).
 * @src: signature with the same k and seed.
 *
 * The result is exactly the signature the union would have had if added directly.
 *
 * Context: real-time safe.
 * Return: 0, or -EINVAL if incompatible (@dst unchanged).
 */
int vx_minhash_merge(struct vx_minhash *dst, const struct vx_minhash *src);

/**
 * vx_minhash_k() - number of slots.
 * @m: signature.
 *
 * Context: real-time safe.
 * Return: k.
 */
size_t vx_minhash_k(const struct vx_minhash *m);

/**
 * vx_minhash_seed() - the seed the hash functions came from.
 * @m: signature.
 *
 * Context: real-time safe.
 * Return: the seed given to vx_minhash_create().
 */
uint64_t vx_minhash_seed(const struct vx_minhash *m);

/**
 * vx_minhash_slots() - the signature itself: k minima (UINT64_MAX while empty).
 * @m: signature.
 *
 * Context: real-time safe.
 * Return: a pointer to k values, valid until @m is changed or destroyed.
 */
const uint64_t *vx_minhash_slots(const struct vx_minhash *m);

/**
 * vx_minhash_is_empty() - whether the signature is still that of the empty set.
 * @m: signature.
 *
 * Context: real-time safe.
 * Return: true if no element was added or merged in since create or reset.
 */
bool vx_minhash_is_empty(const struct vx_minhash *m);

/**
 * vx_minhash_serialize() - write (k, seed, slots).
 * @m:   signature.
 * @buf: destination, or NULL to ask the size.
 * @cap: bytes at @buf.
 *
 * Context: real-time safe (no allocation).
 * Return: bytes written (or needed when @buf is NULL), or -ENOSPC.
 */
ssize_t vx_minhash_serialize(const struct vx_minhash *m, void *buf, size_t cap);

/**
 * vx_minhash_deserialize() - a signature from vx_minhash_serialize()'s bytes.
 * @out: the new signature.
 * @buf: bytes.
 * @len: their exact count.
 *
 * Context: allocates.
 * Return: 0, -EINVAL for anything malformed, -ENOMEM.
 */
int vx_minhash_deserialize(struct vx_minhash **out, const void *buf, size_t len);

/**
 * vx_minhash_footprint() - memory the signature holds.
 * @m: signature.
 *
 * Context: real-time safe.
 * Return: bytes (k·16 + a few: the minima and the hash functions' keys).
 */
size_t vx_minhash_footprint(const struct vx_minhash *m);

/* ---- Banding index over MinHash signatures ------------------------------------ */

struct vx_lsh_index;

/* One answer of vx_lsh_query(). */
struct vx_lsh_match {
	uint64_t id;       /* as given to vx_lsh_insert() */
	double similarity; /* MinHash estimate from the stored signature, in [0, 1] */
};

/* The shape of an index, from vx_lsh_info(). */
struct vx_lsh_info {
	size_t k;      /* slots per signature */
	uint64_t seed; /* the signatures' MinHash seed */
	size_t bands;  /* b */
	size_t rows;   /* r: band j is slots j·r .. j·r + r − 1 */
	size_t items;  /* signatures inserted */
};

/**
 * vx_lsh_params() - choose bands and rows for a similarity threshold.
 * @k:         signature slots.
 * @threshold: similarity t in (0, 1] above which items should become candidates.
 * @bands:     set to b.
 * @rows:      set to r.
 *
 * Picks the largest r for which b = ⌈t^−r⌉ bands fit (b·r <= k), so the S-curve's
 * knee (1/b)^(1/r) sits at or just below t and is as steep as k allows; slots
 * beyond b·r still sharpen the similarity estimate. About 63% of the pairs at
 * exactly t become candidates (1 − 1/e); ask for a lower t to miss fewer. If even
 * r = 1 does not fit (t < 1/k), returns b = k, r = 1.
 *
 * Context: no allocation.
 * Return: 0, or -EINVAL for a bad @k or @threshold.
 */
int vx_lsh_params(size_t k, double threshold, size_t *bands, size_t *rows);

/**
 * vx_lsh_create() - an empty banding index.
 * @out:   the new index.
 * @k:     slots of the signatures it will hold, 1 .. VX_MINHASH_MAX_K.
 * @seed:  their MinHash seed (signatures of another seed are refused).
 * @bands: b >= 1.
 * @rows:  r >= 1, with b·r <= k. Band j is slots j·r .. j·r + r − 1; slots past
 *         b·r take part in the similarity estimate only.
 *
 * Context: not real-time: the index grows as items are inserted.
 * Return: 0, -EINVAL for bad parameters, -ENOMEM.
 */
int vx_lsh_create(struct vx_lsh_index **out, size_t k, uint64_t seed, size_t bands,
		  size_t rows);

/**
 * vx_lsh_destroy() - free an index.
 * @x: from vx_lsh_create() or vx_lsh_deserialize(), or NULL.
 *
 * Context: frees memory.
 */
void vx_lsh_destroy(struct vx_lsh_index *x);

/**
 * vx_lsh_insert() - store a signature under an id and file it in b buckets.
 * @x:   index.
 * @id:  the caller's name for the item (not checked for uniqueness: inserting an
 *       id twice stores two items).
 * @sig: a signature with the index's k and seed (copied).
 *
 * Context: allocates (amortised O(1) per insert, tables doubling); not
 * real-time safe. Not concurrent with any other call on @x.
 * Return: 0, -EINVAL if @sig is incompatible, -ENOSPC past 2^32 − 2 items, -ENOMEM.
 */
int vx_lsh_insert(struct vx_lsh_index *x, uint64_t id, const struct vx_minhash *sig);

/**
 * vx_lsh_query() - the stored items that share a band with @sig, each once.
 * @x:         index.
 * @sig:       the query signature (k and seed of the index).
 * @threshold: keep only candidates whose estimated similarity is >= this
 *             (0 keeps every candidate).
 * @out:       room for @cap matches, best first (similarity descending, then id
 *             ascending); may be NULL when @cap is 0.
 * @cap:       its size.
 *
 * Candidates are exactly the items whose r slots of some band all equal the
 * query's (no false candidates from bucket collisions). Writes no more than @cap
 * matches but counts them all, so a caller can retry with more room.
 *
 * Context: no allocation; time proportional to b plus the candidates' number
 * times k. Read-only: queries may run concurrently with each other, not with
 * vx_lsh_insert().
 * Return: the number of candidates passing @threshold (may exceed @cap), or
 * -EINVAL if @sig is incompatible or @threshold is NaN.
 */
ssize_t vx_lsh_query(const struct vx_lsh_index *x, const struct vx_minhash *sig,
		     double threshold, struct vx_lsh_match *out, size_t cap);

/**
 * vx_lsh_item() - read back a stored item.
 * @x:   index.
 * @i:   its insertion rank, 0 .. items − 1.
 * @id:  set to its id.
 * @sig: overwritten with its signature (same k and seed as the index).
 *
 * Context: no allocation.
 * Return: 0, or -EINVAL if @i is out of range or @sig incompatible.
 */
int vx_lsh_item(const struct vx_lsh_index *x, size_t i, uint64_t *id, struct vx_minhash *sig);

/**
 * vx_lsh_info() - the index's parameters and item count.
 * @x:    index.
 * @info: filled in.
 *
 * Context: no allocation.
 */
void vx_lsh_info(const struct vx_lsh_index *x, struct vx_lsh_info *info);

/**
 * vx_lsh_serialize() - write the parameters and the items (ids and signatures,
 * in insertion order); the buckets are rebuilt on reading.
 * @x:   index.
 * @buf: destination, or NULL to ask the size.
 * @cap: bytes at @buf.
 *
 * Context: no allocation.
 * Return: bytes written (or needed when @buf is NULL), -ENOSPC, or -EOVERFLOW
 * past the envelope's 4 GiB.
 */
ssize_t vx_lsh_serialize(const struct vx_lsh_index *x, void *buf, size_t cap);

/**
 * vx_lsh_deserialize() - an index from vx_lsh_serialize()'s bytes.
 * @out: the new index.
 * @buf: bytes.
 * @len: their exact count.
 *
 * Context: allocates, in proportion to the payload.
 * Return: 0, -EINVAL for anything malformed, -ENOMEM.
 */
int vx_lsh_deserialize(struct vx_lsh_index **out, const void *buf, size_t len);

/**
 * vx_lsh_footprint() - memory the index holds.
 * @x: index.
 *
 * Context: no allocation.
 * Return: bytes: per item of room, 8 (id) + 8·k (signature) + 8·b (chain links),
 * plus 8·b per item of room for the buckets; room doubles, so up to half of it
 * may be unused.
 */
size_t vx_lsh_footprint(const struct vx_lsh_index *x);

#endif
