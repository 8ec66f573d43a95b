// SPDX-License-Identifier: MIT
/*
 * STOI and log-spectral distance after cross-correlation alignment; the contract
 * and the choices are in quality.h. The STOI code mirrors stoi.m / pystoi's
 * stoi.py line for line, so each step can be checked against them; their names
 * (x clean, y degraded, OBM, N, BETA, DYN_RANGE) are kept.
 */
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

int vx_quality_ctx_compare(struct vx_quality_ctx *q, const int16_t *ref, size_t nref,
			   const int16_t *deg, size_t ndeg, struct vx_quality *out)
{
	const int16_t *r, *g;
	double *x = NULL, *y = NULL;
	size_t n, nx, ny;
	bool silent = true;
	int64_t d;
	int ret;

	memset(out, 0, sizeof(*out));
	if (nref == 0 || ndeg == 0)
		return invalid(out, "empty input");
	if (nref < VX_QUALITY_MIN_SAMPLES || ndeg < VX_QUALITY_MIN_SAMPLES)
		return invalid(out, "input shorter than 0.5 s");
	ret = find_delay(ref, nref, deg, ndeg, &d);
	if (ret < 0)
		return ret;
	out->delay_samples = d;
	out->delay_ms = 1000.0 * (double)d / VX_QUALITY_RATE;

	/* deg[i + d] lines up with ref[i]: compare where both exist. */
	if (d >= 0) {
		r = ref;
		g = deg + d;
		n = ndeg - (size_t)d < nref ? ndeg - (size_t)d : nref;
	} else {
		r = ref - d;
		g = deg;
		n = nref - (size_t)-d < ndeg ? nref - (size_t)-d : ndeg;
	}
	out->overlap = n;
	for (size_t i = 0; i < n && silent; i++)
		silent = r[i] == 0;
	if (silent)
		return invalid(out, "the reference is silent where the signals overlap");

	ret = lsd(q, r, g, n, &out->lsd_db, &out->lsd_frames);
	if (ret < 0)
		return ret;
	ret = resample_10k(r, n, &x, &nx);
	if (ret == 0)
		ret = resample_10k(g, n, &y, &ny);
	if (ret == 0) {
		ret = stoi(q, x, y, nx < ny ? nx : ny, &out->stoi, &out->frames_used);
		if (ret == -EINVAL)
			out->reason = "less than 384 ms of speech overlaps after alignment "
				      "(STOI needs 30 frames)";
	}
	free(x);
	free(y);
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
