// SPDX-License-Identifier: MIT
/*
 * STOI and log-spectral distance after global, then piecewise, cross-correlation
 * alignment; the contract and the choices are in quality.h. The STOI code mirrors
 * stoi.m / pystoi's stoi.py line for line, so each step can be checked against
 * them; their names (x clean, y degraded, OBM, N, BETA, DYN_RANGE) are kept.
 */
#include <assert.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <speex/speex_resampler.h>

#include "audio/quality.h"

#define FS         VX_QUALITY_STOI_RATE
#define N_FRAME    256  /* STOI frame, samples at 10 kHz */
#define HOP        (N_FRAME / 2)
#define NFFT       512
#define NBINS      (NFFT / 2 + 1)
#define NUMBAND    15
#define MINFREQ    150.0 /* Hz, centre of the lowest band */
#define N          VX_QUALITY_STOI_N
#define BETA       (-15.0) /* dB, lower signal-to-distortion bound */
#define DYN_RANGE  40.0    /* dB, silent-frame threshold below the loudest frame */
#define EPS        DBL_EPSILON /* numpy's finfo(float).eps, as pystoi adds it */
#define RESAMPLE_QUALITY 10 /* speexdsp's best: offline, so speed does not matter */

#define LSD_FRAME  VX_QUALITY_LSD_FRAME
#define LSD_HOP    (LSD_FRAME / 2)
#define LSD_BINS   (LSD_FRAME / 2 + 1)

#define MS         (VX_QUALITY_RATE / 1000) /* samples per millisecond */
#define PIECE      ((size_t)VX_QUALITY_PIECE_MS * MS)
#define WINDOW     ((size_t)VX_QUALITY_WINDOW_MS * MS)
#define LAG_TOL    ((int64_t)VX_QUALITY_LAG_TOL_MS * MS)

struct vx_quality_ctx {
	/* STOI's STFT: 512-point real transform of a windowed, zero-padded frame. */
	double *st_in;
	fftw_complex *st_out;
	fftw_plan st_plan;
	double st_win[N_FRAME];
	/* One-third-octave bands: bins [band_lo[j], band_hi[j]) (pystoi's OBM rows). */
	int band_lo[NUMBAND], band_hi[NUMBAND];
	/* LSD: 960-point transforms of a reference and a degraded frame. */
	double *lsd_in;
	fftw_complex *lsd_out;
	fftw_plan lsd_plan;
	double lsd_win[LSD_FRAME];
	double lsd_win_energy; /* sum of w^2, to normalise the periodogram */
	enum vx_quality_align align;
};

/* MATLAB's hanning(n): the (n + 2)-point Hann window without its zero ends. */
static void hanning(double *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w[i] = 0.5 * (1.0 - cos(2.0 * M_PI * (double)(i + 1) / (double)(n + 1)));
}

/* pystoi's thirdoct(): band edges at 150 * 2^((2k -+ 1) / 6) Hz, each snapped to
 * the nearest bin (the first on a tie, as argmin picks). */
static int nearest_bin(double hz)
{
	int best = 0;
	double best_d = HUGE_VAL;

	for (int k = 0; k < NBINS; k++) {
		double f = (double)k * FS / NFFT, d = (f - hz) * (f - hz);

		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	return best;
}

int vx_quality_ctx_create(struct vx_quality_ctx **out)
{
	struct vx_quality_ctx *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->st_in = fftw_alloc_real(NFFT);
	q->st_out = fftw_alloc_complex(NBINS);
	q->lsd_in = fftw_alloc_real(LSD_FRAME);
	q->lsd_out = fftw_alloc_complex(LSD_BINS);
	if (!q->st_in || !q->st_out || !q->lsd_in || !q->lsd_out)
		goto err;
	/* FFTW_ESTIMATE: no timing runs, so the plan (and every result) is the same
	 * on every run and machine, and planning takes microseconds. */
	q->st_plan = fftw_plan_dft_r2c_1d(NFFT, q->st_in, q->st_out, FFTW_ESTIMATE);
	q->lsd_plan = fftw_plan_dft_r2c_1d(LSD_FRAME, q->lsd_in, q->lsd_out, FFTW_ESTIMATE);
	if (!q->st_plan || !q->lsd_plan)
		goto err;

	hanning(q->st_win, N_FRAME);
	hanning(q->lsd_win, LSD_FRAME);
	for (int i = 0; i < LSD_FRAME; i++)
		q->lsd_win_energy += q->lsd_win[i] * q->lsd_win[i];
	for (int k = 0; k < NUMBAND; k++) {
		q->band_lo[k] = nearest_bin(MINFREQ * pow(2.0, (2.0 * k - 1.0) / 6.0));
		q->band_hi[k] = nearest_bin(MINFREQ * pow(2.0, (2.0 * k + 1.0) / 6.0));
	}
	*out = q;
	return 0;
err:
	vx_quality_ctx_destroy(q);
	return -ENOMEM;
}

void vx_quality_ctx_destroy(struct vx_quality_ctx *q)
{
	if (!q)
		return;
	if (q->st_plan)
		fftw_destroy_plan(q->st_plan);
	if (q->lsd_plan)
		fftw_destroy_plan(q->lsd_plan);
	fftw_free(q->st_in);
	fftw_free(q->st_out);
	fftw_free(q->lsd_in);
	fftw_free(q->lsd_out);
	free(q);
}

void vx_quality_ctx_set_align(struct vx_quality_ctx *q, enum vx_quality_align align)
{
	q->align = align;
}

/* ---- alignment ------------------------------------------------------------------ */

/* The smallest n >= min whose only prime factors are 2, 3, 5 and 7: FFTW's fast
 * sizes, up to 2x smaller than the next power of two. */
static size_t fft_size(size_t min)
{
	for (size_t n = min;; n++) {
		size_t m = n;

		for (size_t p = 2; p <= 7; p++)
			while (m % p == 0)
				m /= p;
		if (m == 1)
			return n;
	}
}

/*
 * c[k] = sum_n deg[n] ref[n - k] for every lag k in -(nref - 1) .. ndeg - 1, as
 * IFFT(FFT(deg) . conj(FFT(ref))) over nfft >= nref + ndeg - 1 points, so no lag
 * wraps onto another. The largest c[k] is the delay. With int16 inputs every
 * product is exact in double and the transform's rounding error (~1e-16 relative
 * per stage) is far below the gap between a true peak and its neighbours.
 */
static int find_delay(const int16_t *ref, size_t nref, const int16_t *deg, size_t ndeg,
		      int64_t *delay)
{
	size_t nfft = fft_size(nref + ndeg - 1), nb = nfft / 2 + 1;
	double *a = fftw_alloc_real(nfft), best = -HUGE_VAL;
	fftw_complex *fa = fftw_alloc_complex(nb), *fb = fftw_alloc_complex(nb);
	fftw_plan pa = NULL, pb = NULL, pc = NULL;
	int ret = -ENOMEM;

	if (!a || !fa || !fb || nfft > (size_t)INT32_MAX)
		goto out;
	pa = fftw_plan_dft_r2c_1d((int)nfft, a, fa, FFTW_ESTIMATE);
	pb = fftw_plan_dft_r2c_1d((int)nfft, a, fb, FFTW_ESTIMATE);
	pc = fftw_plan_dft_c2r_1d((int)nfft, fa, a, FFTW_ESTIMATE);
	if (!pa || !pb || !pc)
		goto out;

	memset(a, 0, nfft * sizeof(*a));
	for (size_t i = 0; i < ndeg; i++)
		a[i] = deg[i];
	fftw_execute(pa);
	memset(a, 0, nfft * sizeof(*a));
	for (size_t i = 0; i < nref; i++)
		a[i] = ref[i];
	fftw_execute(pb);
	for (size_t k = 0; k < nb; k++) {
		double re = fa[k][0] * fb[k][0] + fa[k][1] * fb[k][1];
		double im = fa[k][1] * fb[k][0] - fa[k][0] * fb[k][1];

		fa[k][0] = re;
		fa[k][1] = im;
	}
	fftw_execute(pc); /* c2r overwrites its input: fa is done with */

	/* Lag k >= 0 sits at a[k], lag k < 0 at a[nfft + k]. Ties go to the lag
	 * nearest zero, scanning outwards from it. */
	*delay = 0;
	for (size_t k = 0; k < ndeg || k < nref; k++) {
		if (k < ndeg && a[k] > best) {
			best = a[k];
			*delay = (int64_t)k;
		}
		if (k > 0 && k < nref && a[nfft - k] > best) {
			best = a[nfft - k];
			*delay = -(int64_t)k;
		}
	}
	ret = 0;
out:
	if (pa)
		fftw_destroy_plan(pa);
	if (pb)
		fftw_destroy_plan(pb);
	if (pc)
		fftw_destroy_plan(pc);
	fftw_free(a);
	fftw_free(fa);
	fftw_free(fb);
	return ret;
}

/* A stretch of DEG, from sample start to the next stretch's, played at one lag:
 * deg[i] lines up with ref[i - lag]. */
struct stretch {
	size_t start;
	int64_t lag;
};

static double ref_at(const int16_t *ref, size_t nref, int64_t j)
{
	return j >= 0 && (uint64_t)j < nref ? ref[j] : 0.0;
}

/*
 * The change from lag @from to lag @to happens somewhere in deg[lo, hi): at the s
 * that minimises the squared error of deg against g ref[i - from] before s and
 * g ref[i - to] from s on, g > 0 being DEG's gain (the least-squares one over the
 * piece that chose @to). Per sample that is the largest prefix sum of
 * 2 deg[i] (a - b) + g (b^2 - a^2), a = ref[i - from], b = ref[i - to]. A plain
 * correlation (deg[i] (a - b)) would not do: at a quiet onset it prefers whichever
 * lag puts louder reference under it, and moved measured changes 13-33 ms into
 * speech. The caller knows @to fits deg[.., hi) better, so s < hi in practice.
 */
static size_t change_point(const int16_t *ref, size_t nref, const int16_t *deg, size_t lo,
			   size_t hi, int64_t from, int64_t to, double g)
{
	double sum = 0, best = 0;
	size_t s = lo;

	for (size_t i = lo; i < hi; i++) {
		int64_t t = (int64_t)i;
		double a = ref_at(ref, nref, t - from), b = ref_at(ref, nref, t - to);

		sum += 2.0 * deg[i] * (a - b) + g * (b * b - a * a);
		if (sum > best) {
			best = sum;
			s = i + 1;
		}
	}
	return s;
}

/*
 * Cross-correlation of a stretch of DEG, deg[lo, hi) of m <= mmax samples, with
 * REF at every lag within WINDOW of @centre. R = ref[r0, r0 + m + 2 WINDOW) with
 * r0 = lo - centre - WINDOW holds every sample those lags reach, and c(u) =
 * sum_i deg[lo + i] R[i + u] is the correlation at lag centre + WINDOW - u, as
 * IFFT(conj(FFT(D)) . FFT(R)) over nfft >= mmax + 2 WINDOW points: i + u never
 * reaches nfft, so nothing wraps. Plans and buffers are made once per compare.
 */
struct xcorr {
	size_t nfft, nb, mmax;
	double *a, *e; /* time-domain work; e: prefix sums of R^2 */
	fftw_complex *fd, *fr;
	fftw_plan pd, pr, pc;
};

struct match {
	int64_t lag;    /* the best lag (ties: the one nearest the centre) */
	double best;    /* c(lag) */
	double centre;  /* c(centre) */
	double gain;    /* least-squares gain of DEG against REF at lag: c / E_ref */
	bool valid;     /* c(lag) >= VX_QUALITY_MIN_CORR sqrt(E_deg E_ref(lag)) > 0 */
};

static void xcorr_free(struct xcorr *x)
{
	if (x->pd)
		fftw_destroy_plan(x->pd);
	if (x->pr)
		fftw_destroy_plan(x->pr);
	if (x->pc)
		fftw_destroy_plan(x->pc);
	fftw_free(x->a);
	free(x->e);
	fftw_free(x->fd);
	fftw_free(x->fr);
}

static int xcorr_init(struct xcorr *x, size_t mmax)
{
	memset(x, 0, sizeof(*x));
	x->mmax = mmax;
	x->nfft = fft_size(mmax + 2 * WINDOW);
	x->nb = x->nfft / 2 + 1;
	x->a = fftw_alloc_real(x->nfft);
	x->e = malloc((mmax + 2 * WINDOW + 1) * sizeof(*x->e));
	x->fd = fftw_alloc_complex(x->nb);
	x->fr = fftw_alloc_complex(x->nb);
	if (!x->a || !x->e || !x->fd || !x->fr || x->nfft > (size_t)INT32_MAX)
		goto err;
	x->pd = fftw_plan_dft_r2c_1d((int)x->nfft, x->a, x->fd, FFTW_ESTIMATE);
	x->pr = fftw_plan_dft_r2c_1d((int)x->nfft, x->a, x->fr, FFTW_ESTIMATE);
	x->pc = fftw_plan_dft_c2r_1d((int)x->nfft, x->fd, x->a, FFTW_ESTIMATE);
	if (!x->pd || !x->pr || !x->pc)
		goto err;
	return 0;
err:
	xcorr_free(x);
	return -ENOMEM;
}

static void xcorr_match(struct xcorr *x, const int16_t *ref, size_t nref, const int16_t *deg,
			size_t lo, size_t hi, int64_t centre, struct match *mt)
{
	size_t m = hi - lo, u = WINDOW;
	int64_t r0 = (int64_t)lo - centre - (int64_t)WINDOW;
	double *a = x->a, *e = x->e, ed = 0, er, best;

	assert(m <= x->mmax);
	memset(mt, 0, sizeof(*mt));
	mt->lag = centre;
	memset(a, 0, x->nfft * sizeof(*a));
	for (size_t i = 0; i < m; i++) {
		a[i] = deg[lo + i];
		ed += a[i] * a[i];
	}
	if (ed == 0)
		return; /* digital silence: nothing to correlate */
	fftw_execute(x->pd);
	memset(a, 0, x->nfft * sizeof(*a));
	e[0] = 0;
	for (size_t j = 0; j < m + 2 * WINDOW; j++) {
		a[j] = ref_at(ref, nref, r0 + (int64_t)j);
		e[j + 1] = e[j] + a[j] * a[j];
	}
	fftw_execute(x->pr);
	for (size_t f = 0; f < x->nb; f++) {
		double re = x->fd[f][0] * x->fr[f][0] + x->fd[f][1] * x->fr[f][1];
		double im = x->fd[f][0] * x->fr[f][1] - x->fd[f][1] * x->fr[f][0];

		x->fd[f][0] = re;
		x->fd[f][1] = im;
	}
	fftw_execute(x->pc); /* a[u] = nfft c(u) */

	/* Ties go to the centre, scanning outwards from it. */
	best = a[WINDOW];
	for (size_t t = 1; t <= WINDOW; t++) {
		if (a[WINDOW - t] > best) {
			best = a[WINDOW - t];
			u = WINDOW - t;
		}
		if (a[WINDOW + t] > best) {
			best = a[WINDOW + t];
			u = WINDOW + t;
		}
	}
	er = e[u + m] - e[u];
	mt->lag = centre + (int64_t)WINDOW - (int64_t)u;
	mt->best = best / (double)x->nfft;
	mt->centre = a[WINDOW] / (double)x->nfft;
	mt->gain = er > 0 ? mt->best / er : 0;
	mt->valid = mt->best > 0 && mt->best >= VX_QUALITY_MIN_CORR * sqrt(ed * er);
}

/* @mt is clear evidence that the lag moved away from @lag (quality.h, step 1). */
static bool moved(const struct match *mt, int64_t lag)
{
	return mt->valid && llabs(mt->lag - lag) > LAG_TOL &&
	       mt->centre < (1.0 - VX_QUALITY_SWITCH_MARGIN) * mt->best;
}

/*
 * Piecewise alignment (quality.h, step 1) of DEG cut into @np pieces: st[0] holds
 * the global lag on entry, and st[0 .. *nst) the stretches on return; st has room
 * for np + 1 (each piece adds one at most).
 */
static int align_pieces(const int16_t *ref, size_t nref, const int16_t *deg, size_t ndeg,
			struct stretch *st, size_t *nst, size_t np)
{
	size_t mmax = (ndeg + np - 1) / np, ns = 1, last_valid = 0;
	struct xcorr x;
	int64_t lag = st[0].lag;
	bool anchored = false;
	int ret = xcorr_init(&x, mmax);

	if (ret < 0)
		return ret;
	for (size_t k = 0; k < np; k++) {
		size_t pa = k * ndeg / np, pb = (k + 1) * ndeg / np, lo, s;
		struct match mt;

		xcorr_match(&x, ref, nref, deg, pa, pb, lag, &mt);
		if (!mt.valid)
			continue; /* silent, or no match: keep the lag in force */
		if (!moved(&mt, lag)) {
			anchored = true;
			last_valid = pa;
			continue;
		}
		if (!anchored) {
			/* Before the first piece with a match, nothing confirmed the
			 * global lag: the first match replaces it. (A change point there
			 * would let noise in the leading silence start a stretch.) */
			st[0].lag = lag = mt.lag;
			anchored = true;
			last_valid = pa;
			continue;
		}
		lo = st[ns - 1].start > last_valid ? st[ns - 1].start : last_valid;
		for (int pass = 0;; pass++) {
			struct match sub;
			size_t end;

			s = change_point(ref, nref, deg, lo, pb, lag, mt.lag, mt.gain);
			/* A piece holding both lags may prefer a third, a pitch period or
			 * so off the new one: measure again on a piece's length after the
			 * change (reading ahead: this is a file, not a stream), and place
			 * the change again if that moved the lag. */
			end = ndeg - s < x.mmax ? ndeg : s + x.mmax;
			if (pass == 2 || end - s < x.mmax / 4)
				break;
			xcorr_match(&x, ref, nref, deg, s, end, lag, &sub);
			if (!sub.valid || llabs(sub.lag - mt.lag) <= LAG_TOL)
				break;
			mt = sub;
		}
		if (s >= pb || !moved(&mt, lag)) {
			last_valid = pa; /* no change in this piece after all */
			continue;
		}
		if (s > st[ns - 1].start) {
			st[ns].start = s;
			st[ns++].lag = mt.lag;
		} else if (ns > 1 && st[ns - 2].lag == mt.lag) {
			ns--; /* back to the lag before: one stretch */
		} else {
			st[ns - 1].lag = mt.lag;
		}
		lag = mt.lag;
		last_valid = pa;
	}
	*nst = ns;
	xcorr_free(&x);
	return 0;
}

/* ---- STOI ------------------------------------------------------------------------ */

/* 48 kHz int16 -> 10 kHz double in full-scale units, round(n * 10 / 48) samples,
 * the filter's delay removed (skip_zeros) and its tail flushed with silence. */
static int resample_10k(const int16_t *x, size_t n, double **out, size_t *nout)
{
	size_t want = (n * FS + VX_QUALITY_RATE / 2) / VX_QUALITY_RATE, got = 0, fed = 0;
	float *in = malloc(n * sizeof(*in)), *res = malloc((want + 1) * sizeof(*res));
	float zeros[256] = { 0 };
	double *y = malloc((want + 1) * sizeof(*y));
	SpeexResamplerState *rs;
	int e = 0, ret = -ENOMEM;

	rs = speex_resampler_init(1, VX_QUALITY_RATE, FS, RESAMPLE_QUALITY, &e);
	if (!in || !res || !y || !rs)
		goto out;
	speex_resampler_skip_zeros(rs);
	for (size_t i = 0; i < n; i++)
		in[i] = (float)x[i] / 32768.0f;
	while (got < want) {
		spx_uint32_t il, ol = (spx_uint32_t)(want - got);

		if (fed < n) {
			il = (spx_uint32_t)(n - fed);
			speex_resampler_process_float(rs, 0, in + fed, &il, res + got, &ol);
			fed += il;
		} else {
			il = sizeof(zeros) / sizeof(zeros[0]);
			speex_resampler_process_float(rs, 0, zeros, &il, res + got, &ol);
		}
		got += ol;
	}
	for (size_t i = 0; i < want; i++)
		y[i] = (double)res[i];
	*out = y;
	*nout = want;
	y = NULL;
	ret = 0;
out:
	if (rs)
		speex_resampler_destroy(rs);
	free(in);
	free(res);
	free(y);
	return ret;
}

/*
 * pystoi's remove_silent_frames(): frames start at 0, HOP, ... while start <
 * n - N_FRAME (stoi.m's 1:K:(length(x)-N), which leaves out the last full frame);
 * a frame is kept when its clean energy 20 log10(||w x|| + EPS) is above the
 * loudest one's minus DYN_RANGE; the kept windowed frames of both signals are
 * overlap-added at HOP into x, y (in place), whose new length goes to @out_len.
 * Return: 0 or -ENOMEM.
 */
static int remove_silent_frames(const struct vx_quality_ctx *q, double *x, double *y,
				size_t n, size_t *out_len)
{
	size_t frames = n > N_FRAME ? (n - N_FRAME + HOP - 1) / HOP : 0, kept = 0, len;
	double *e = malloc((frames ? frames : 1) * sizeof(*e)), *xo, *yo, emax = -HUGE_VAL;

	*out_len = 0;
	if (!e)
		return -ENOMEM;
	for (size_t f = 0; f < frames; f++) {
		double s = 0;

		for (size_t i = 0; i < N_FRAME; i++) {
			double v = q->st_win[i] * x[f * HOP + i];

			s += v * v;
		}
		e[f] = 20.0 * log10(sqrt(s) + EPS);
		if (e[f] > emax)
			emax = e[f];
	}
	for (size_t f = 0; f < frames; f++)
		if (emax - DYN_RANGE - e[f] < 0)
			kept++;
	if (kept == 0) {
		free(e);
		return 0;
	}
	len = (kept - 1) * HOP + N_FRAME;
	xo = calloc(len, sizeof(*xo));
	yo = calloc(len, sizeof(*yo));
	if (!xo || !yo) {
		free(xo);
		free(yo);
		free(e);
		return -ENOMEM;
	}
	for (size_t f = 0, k = 0; f < frames; f++) {
		if (!(emax - DYN_RANGE - e[f] < 0))
			continue;
		for (size_t i = 0; i < N_FRAME; i++) {
			xo[k * HOP + i] += q->st_win[i] * x[f * HOP + i];
			yo[k * HOP + i] += q->st_win[i] * y[f * HOP + i];
		}
		k++;
	}
	/* The output is never longer than the input: kept <= frames. */
	memcpy(x, xo, len * sizeof(*x));
	memcpy(y, yo, len * sizeof(*y));
	free(xo);
	free(yo);
	free(e);
	*out_len = len;
	return 0;
}

/* One-third-octave envelopes of @x: tob[j * m + f] for band j and frame f of m,
 * frame f starting at f * HOP (pystoi's stft(): starts < length - N_FRAME). */
static void third_octave(struct vx_quality_ctx *q, const double *x, double *tob, size_t m)
{
	for (size_t f = 0; f < m; f++) {
		for (size_t i = 0; i < N_FRAME; i++)
			q->st_in[i] = q->st_win[i] * x[f * HOP + i];
		for (size_t i = N_FRAME; i < NFFT; i++)
			q->st_in[i] = 0;
		fftw_execute(q->st_plan);
		for (int j = 0; j < NUMBAND; j++) {
			double s = 0;

			for (int k = q->band_lo[j]; k < q->band_hi[j]; k++)
				s += q->st_out[k][0] * q->st_out[k][0] +
				     q->st_out[k][1] * q->st_out[k][1];
			tob[(size_t)j * m + f] = sqrt(s);
		}
	}
}

static double norm(const double *v, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i] * v[i];
	return sqrt(s);
}

/* Centre @v and scale it to unit norm (+ EPS), as pystoi does. */
static void centre_unit(double *v, size_t n)
{
	double mean = 0, l;

	for (size_t i = 0; i < n; i++)
		mean += v[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		v[i] -= mean;
	l = norm(v, n) + EPS;
	for (size_t i = 0; i < n; i++)
		v[i] /= l;
}

/* STOI of 10 kHz x (clean) and y (degraded), both of length n, consumed.
 * Return: 0, -EINVAL (fewer than N frames of speech), -ENOMEM. */
static int stoi(struct vx_quality_ctx *q, double *x, double *y, size_t n, double *d,
		size_t *frames)
{
	const double clip = 1.0 + pow(10.0, -BETA / 20.0);
	size_t len, m, segs;
	double *xt, *yt, sum = 0;
	int ret = remove_silent_frames(q, x, y, n, &len);

	if (ret < 0)
		return ret;
	m = len > N_FRAME ? (len - N_FRAME + HOP - 1) / HOP : 0;
	*frames = m;
	if (m < N)
		return -EINVAL;
	xt = malloc(NUMBAND * m * sizeof(*xt));
	yt = malloc(NUMBAND * m * sizeof(*yt));
	if (!xt || !yt) {
		free(xt);
		free(yt);
		return -ENOMEM;
	}
	third_octave(q, x, xt, m);
	third_octave(q, y, yt, m);

	/* Segments end at frames N .. m (inclusive), pystoi's range(N, m + 1). */
	segs = m - N + 1;
	for (size_t s = 0; s < segs; s++)
		for (size_t j = 0; j < NUMBAND; j++) {
			double xs[N], ys[N], a, c = 0;

			memcpy(xs, xt + j * m + s, sizeof(xs));
			memcpy(ys, yt + j * m + s, sizeof(ys));
			a = norm(xs, N) / (norm(ys, N) + EPS);
			for (size_t i = 0; i < N; i++) {
				double lim = xs[i] * clip;

				ys[i] *= a;
				if (ys[i] > lim)
					ys[i] = lim;
			}
			centre_unit(ys, N);
			centre_unit(xs, N);
			for (size_t i = 0; i < N; i++)
				c += xs[i] * ys[i];
			sum += c;
		}
	*d = sum / (double)(NUMBAND * segs);
	free(xt);
	free(yt);
	return 0;
}

/* ---- LSD --------------------------------------------------------------------------- */

/* Periodogram of one 960-sample frame into p[LSD_BINS], full-scale units. */
static void lsd_power(struct vx_quality_ctx *q, const int16_t *x, double *p)
{
	for (size_t i = 0; i < LSD_FRAME; i++)
		q->lsd_in[i] = q->lsd_win[i] * ((double)x[i] / 32768.0);
	fftw_execute(q->lsd_plan);
	for (size_t k = 0; k < LSD_BINS; k++)
		p[k] = (q->lsd_out[k][0] * q->lsd_out[k][0] + q->lsd_out[k][1] * q->lsd_out[k][1]) /
		       q->lsd_win_energy;
}

static int lsd(struct vx_quality_ctx *q, const int16_t *ref, const int16_t *deg, size_t n,
	       double *out, size_t *used)
{
	size_t frames = n >= LSD_FRAME ? (n - LSD_FRAME) / LSD_HOP + 1 : 0;
	double *e = malloc((frames ? frames : 1) * sizeof(*e)), emax = -HUGE_VAL, sum = 0;
	double pr[LSD_BINS], pd[LSD_BINS];

	if (!e)
		return -ENOMEM;
	for (size_t f = 0; f < frames; f++) {
		double s = 0;

		for (size_t i = 0; i < LSD_FRAME; i++) {
			double v = q->lsd_win[i] * ref[f * LSD_HOP + i];

			s += v * v;
		}
		e[f] = 10.0 * log10(s + EPS);
		if (e[f] > emax)
			emax = e[f];
	}
	*used = 0;
	for (size_t f = 0; f < frames; f++) {
		double s = 0;

		if (!(e[f] > emax - DYN_RANGE))
			continue;
		lsd_power(q, ref + f * LSD_HOP, pr);
		lsd_power(q, deg + f * LSD_HOP, pd);
		for (size_t k = 0; k < LSD_BINS; k++) {
			double l = 10.0 * log10((pr[k] + VX_QUALITY_LSD_FLOOR) /
						(pd[k] + VX_QUALITY_LSD_FLOOR));

			s += l * l;
		}
		sum += sqrt(s / LSD_BINS);
		++*used;
	}
	*out = *used ? sum / (double)*used : 0;
	free(e);
	return 0;
}

/* ---- the whole comparison ------------------------------------------------------------ */

static int invalid(struct vx_quality *out, const char *why)
{
	out->reason = why;
	return -EINVAL;
}

/* The lags' summary: global, range, changes. */
static void report_lags(struct vx_quality *out, int64_t d0, const struct stretch *st,
			size_t ns, size_t np)
{
	out->delay_samples = d0;
	out->delay_ms = 1000.0 * (double)d0 / VX_QUALITY_RATE;
	out->pieces = np;
	out->delay_changes = ns - 1;
	out->delay_min_samples = out->delay_max_samples = st[0].lag;
	for (size_t j = 1; j < ns; j++) {
		if (st[j].lag < out->delay_min_samples)
			out->delay_min_samples = st[j].lag;
		if (st[j].lag > out->delay_max_samples)
			out->delay_max_samples = st[j].lag;
	}
	out->delay_min_ms = 1000.0 * (double)out->delay_min_samples / VX_QUALITY_RATE;
	out->delay_max_ms = 1000.0 * (double)out->delay_max_samples / VX_QUALITY_RATE;
}

/* aref[i] = ref[i - lag of i's stretch], 0 where REF has nothing; [*first, *end) is
 * the span of DEG with REF behind it (empty if none). */
static void build_aligned(const int16_t *ref, size_t nref, size_t ndeg, const struct stretch *st,
			  size_t ns, int16_t *aref, size_t *first, size_t *end)
{
	*first = *end = 0;
	for (size_t j = 0; j < ns; j++) {
		size_t stop = j + 1 < ns ? st[j + 1].start : ndeg;

		for (size_t i = st[j].start; i < stop; i++) {
			int64_t r = (int64_t)i - st[j].lag;

			if (r >= 0 && (uint64_t)r < nref) {
				aref[i] = ref[r];
				if (*end == 0)
					*first = i;
				*end = i + 1;
			} else {
				aref[i] = 0;
			}
		}
	}
}

int vx_quality_ctx_compare(struct vx_quality_ctx *q, const int16_t *ref, size_t nref,
			   const int16_t *deg, size_t ndeg, struct vx_quality *out)
{
	const int16_t *r, *g;
	int16_t *aref = NULL;
	struct stretch *st = NULL;
	double *x = NULL, *y = NULL;
	size_t n, nx, ny, np = 1, ns = 1, first, end;
	bool silent = true;
	int64_t d = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (nref == 0 || ndeg == 0)
		return invalid(out, "empty input");
	if (nref < VX_QUALITY_MIN_SAMPLES || ndeg < VX_QUALITY_MIN_SAMPLES)
		return invalid(out, "input shorter than 0.5 s");
	ret = find_delay(ref, nref, deg, ndeg, &d);
	if (ret < 0)
		return ret;

	if (q->align == VX_QUALITY_ALIGN_PIECEWISE) {
		np = (ndeg + PIECE / 2) / PIECE;
		np = np ? np : 1;
	}
	st = malloc((np + 1) * sizeof(*st));
	aref = malloc(ndeg * sizeof(*aref));
	if (!st || !aref) {
		ret = -ENOMEM;
		goto out;
	}
	st[0].start = 0;
	st[0].lag = d;
	if (q->align == VX_QUALITY_ALIGN_PIECEWISE) {
		ret = align_pieces(ref, nref, deg, ndeg, st, &ns, np);
		if (ret < 0)
			goto out;
	}
	report_lags(out, d, st, ns, np);

	/* Compare deg[i] with aref[i] where REF stands behind DEG: with one lag, the
	 * same samples as ref and deg shifted against each other. */
	build_aligned(ref, nref, ndeg, st, ns, aref, &first, &end);
	r = aref + first;
	g = deg + first;
	n = end - first;
	out->overlap = n;
	for (size_t i = 0; i < n && silent; i++)
		silent = r[i] == 0;
	if (silent) {
		ret = invalid(out, "the reference is silent where the signals overlap");
		goto out;
	}

	ret = lsd(q, r, g, n, &out->lsd_db, &out->lsd_frames);
	if (ret < 0)
		goto out;
	ret = resample_10k(r, n, &x, &nx);
	if (ret == 0)
		ret = resample_10k(g, n, &y, &ny);
	if (ret == 0) {
		ret = stoi(q, x, y, nx < ny ? nx : ny, &out->stoi, &out->frames_used);
		if (ret == -EINVAL)
			out->reason = "less than 384 ms of speech overlaps after alignment "
				      "(STOI needs 30 frames)";
	}
out:
	free(x);
	free(y);
	free(aref);
	free(st);
	return ret;
}

int vx_quality_compare(const int16_t *ref, size_t nref, const int16_t *deg, size_t ndeg,
		       struct vx_quality *out)
{
	struct vx_quality_ctx *q;
	int ret = vx_quality_ctx_create(&q);

	if (ret < 0) {
		memset(out, 0, sizeof(*out));
		return ret;
	}
	ret = vx_quality_ctx_compare(q, ref, nref, deg, ndeg, out);
	vx_quality_ctx_destroy(q);
	return ret;
}
