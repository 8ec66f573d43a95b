/* SPDX-License-Identifier: MIT */
#ifndef VX_AUDIO_QUALITY_H
#define VX_AUDIO_QUALITY_H

/*
 * Objective speech quality of a degraded signal (DEG: what came out of the
 * pipeline) against its reference (REF: what went in). Both are 48 kHz mono
 * int16, as vx_wav_load() delivers them. Three steps:
 *
 * 1. Alignment, in two stages.
 *
 *    Global. The delay of DEG behind REF is the lag of the largest value of their
 *    full cross-correlation, computed exactly (in double, by FFT over the whole of
 *    both signals, zero-padded so nothing wraps): any integer delay up to the
 *    signals' lengths, either sign, is found to the sample. Positive means DEG lags
 *    REF (sox's "pad 0.1" gives +4800). This is delay_samples.
 *
 *    Piecewise. The adaptive jitter buffer that produces DEG changes its playout
 *    delay mid-file by design: in a pause it repeats or skips a silent 20 ms frame
 *    (pipeline/jitter.h), and a stall in the network adds a few hundred ms at
 *    once. Everything after such a change is off the global lag by that much, and
 *    STOI, whose 25.6 ms frames stop matching beyond about 10 ms, collapses for
 *    the rest of the file although a listener hears nothing wrong (a replay with
 *    a 200 ms stall every 5 s: STOI 0.42-0.60 for the whole file, >= 0.9 for most
 *    1 s pieces; alsa's eight voice files, 11.4 s, through vox replay with such a
 *    trace: 0.67 with the global lag, 0.94 piecewise). The score is to measure
 *    what was played, not when. So DEG is cut into pieces of about
 *    VX_QUALITY_PIECE_MS (its length divided evenly), and each piece in turn is
 *    cross-correlated (FFT) with REF at every lag within VX_QUALITY_WINDOW_MS of
 *    the lag in force, which starts as the global one. The lag moves to the
 *    piece's best lag L only on clear evidence:
 *    - the piece matches: c(L) / sqrt(E_deg E_ref(L)) >= VX_QUALITY_MIN_CORR.
 *      Otherwise (silence, comfort noise, concealment, drowned speech) the
 *      correlation means nothing and the lag in force is kept. 0.5 because two
 *      takes of the same word by the same speaker reach 0.36 (measured: "front"
 *      in alsa's Front_Center.wav against Front_Left.wav) while speech under
 *      noise at SNR s reaches sqrt(s / (1 + s)): 0.71 at 0 dB, 0.49 at -5 dB;
 *    - L is more than VX_QUALITY_LAG_TOL_MS from it: smaller moves are a codec's
 *      phase wobble (Opus: a few samples), which neither STOI nor LSD notices;
 *    - c at the lag in force is below (1 - VX_QUALITY_SWITCH_MARGIN) c(L):
 *      near-ties, as a steady vowel gives one pitch period off, do not move it.
 *    The first piece that matches replaces the global lag (nothing before it
 *    confirmed that). After that, a move is a change in the timeline, placed at
 *    the sample s that minimises the squared error of DEG against g ref[i - old]
 *    before s and g ref[i - L] from s on (g: DEG's least-squares gain), searched
 *    from the start of the last piece that confirmed the old lag, so an edit
 *    late in a piece, which the margin left alone there, is found from the next
 *    one. In a pause, where jitter-buffer edits happen, any s is as good. A
 *    piece holding both lags may prefer a third one, a pitch period off the new
 *    lag, so L is measured again on a piece's length of DEG after s, and s
 *    placed again if that moved it.
 *    Then an aligned reference of DEG's length is built stretch by stretch,
 *    ref[i - lag of i's stretch], zero where REF has nothing, and compared with
 *    DEG from the first to the last sample that has REF behind it (the overlap).
 *    With one lag this is exactly the global alignment, which
 *    vx_quality_ctx_set_align() can also force. delay_changes counts the changes
 *    of lag: a pause in which the buffer repeated three frames is one change.
 *
 *    Why 500 ms pieces: the jitter buffer changes the delay only in pauses, and
 *    a talkspurt lasts about 1 s on average (ITU-T P.59), so consecutive changes
 *    are usually more than a piece apart and each gets a piece of its own: the
 *    method resolves one change per piece, and of two changes less than a piece
 *    apart the stretch between them may stay misaligned. Half a second still
 *    holds a syllable or two, dozens of pitch periods, for one clear peak. Why
 *    +-250 ms: a jitter buffer moves in 20 ms frames, a stall by up to a few
 *    hundred ms; the window follows the lag, so drift adds up without limit.
 *
 *    What it hides: any timing difference that is constant over a piece and
 *    within the window of the lag before it. A late start or a stall is not
 *    penalised, only reported (delay_changes, delay_min/max). What it does not
 *    hide: speech the buffer repeated, dropped, concealed or time-stretched
 *    differs in content from REF, and still lowers STOI and LSD; noise is not
 *    aligned away, since a piece moves only to a lag where REF matches it, and
 *    a noisy file with no edits keeps every piece at the global lag (tested).
 *    Limits: below about -5 dB SNR (full band) pieces stop matching and edits
 *    go unseen, as with the global lag; a change in the first piece that matches
 *    goes unseen (its lag replaces the global one).
 *
 *    Cost: memory, about 24 bytes per sample of nref + ndeg for the global
 *    correlation and 2 per sample of DEG for the aligned reference; time, three
 *    real FFTs per piece of the piece plus the window (about 48000 points), and
 *    one more set per change: measured 0.06 s for 29 s of DEG, against 0.54 s for
 *    the rest of the comparison.
 *
 * 2. STOI, short-time objective intelligibility (Taal, Hendriks, Heusdens, Jensen,
 *    IEEE TASLP 19(7):2125-2136, 2011), following the authors' MATLAB stoi.m and
 *    its Python port pystoi step for step: resample to 10 kHz; drop the 256-sample
 *    (50 % overlap, Hann) frames whose clean energy is more than 40 dB below the
 *    loudest clean frame, from both signals, and overlap-add the rest back; STFT
 *    with 256-sample Hann frames, hop 128, zero-padded to 512; 15 one-third-octave
 *    bands from 150 Hz (band edges snapped to the nearest FFT bin); segments of
 *    N = 30 frames (384 ms); each degraded band envelope scaled to the clean one's
 *    norm and clipped at (1 + 10^(15/20)) times it (beta = -15 dB); the correlation
 *    of each band and segment, averaged. d lies in [-1, 1]: 1 for identical
 *    signals, about 0 for unrelated ones; it predicts word intelligibility
 *    monotonically. One difference from stoi.m: the 48 -> 10 kHz resampler is
 *    speexdsp's (quality 10, delay compensated) rather than MATLAB's resample();
 *    both are low-pass filters with cut-off near 5 kHz, so scores should differ
 *    only in the third decimal (not yet checked against pystoi's output).
 *
 * 3. LSD, log-spectral distance in dB, at 48 kHz: 20 ms Hann frames (960 samples),
 *    hop 10 ms, 481 bins from 0 to 24 kHz; per frame sqrt(mean over bins of
 *    (10 log10((Pref + floor) / (Pdeg + floor)))^2), averaged over the frames whose
 *    reference energy is within 40 dB of the loudest reference frame (STOI's rule).
 *    P is the periodogram normalised by the window's energy, in full-scale units
 *    (white noise of variance s^2 gives P = s^2), and floor = 1e-10 (-100 dB), the
 *    level of 16-bit quantisation noise (1/(12 * 32768^2) = -101 dB): differences
 *    below what 16 bits can hold do not count. 0 for identical signals.
 *
 * None of this is real-time code: it allocates, plans FFTs and takes tens of
 * milliseconds per second of audio. FFTW's planner is not thread-safe, so contexts
 * are created, used and destroyed by one thread at a time (compare plans the
 * cross-correlations' transforms, whose sizes depend on the input).
 */
#include <stddef.h>
#include <stdint.h>

#define VX_QUALITY_RATE        48000 /* Hz: the rate of both inputs */
#define VX_QUALITY_MIN_SAMPLES 24000 /* 0.5 s: shortest input accepted, each signal */
#define VX_QUALITY_STOI_RATE   10000 /* Hz: STOI's internal rate */
#define VX_QUALITY_STOI_N      30    /* frames per STOI segment (384 ms) */
#define VX_QUALITY_LSD_FRAME   960   /* samples: 20 ms at 48 kHz */
#define VX_QUALITY_LSD_FLOOR   1e-10 /* full-scale power: -100 dB */
/* Piecewise alignment (step 1 above): */
#define VX_QUALITY_PIECE_MS      500 /* nominal piece of DEG */
#define VX_QUALITY_WINDOW_MS     250 /* lags searched each side of the lag in force */
#define VX_QUALITY_LAG_TOL_MS    1   /* smaller moves of the lag are ignored */
#define VX_QUALITY_MIN_CORR      0.5 /* normalised correlation of a piece that matches */
#define VX_QUALITY_SWITCH_MARGIN 0.1 /* c(old lag) must be below (1 - this) c(new) */

struct vx_quality {
	double stoi;           /* STOI d, in [-1, 1] */
	double lsd_db;         /* log-spectral distance, dB, >= 0 */
	int64_t delay_samples; /* global lag: DEG behind REF, 48 kHz samples (negative: ahead) */
	double delay_ms;       /* the same in milliseconds */
	size_t pieces;         /* pieces DEG was cut into (1 with VX_QUALITY_ALIGN_GLOBAL) */
	size_t delay_changes;  /* times the lag changes from one stretch of DEG to the next */
	int64_t delay_min_samples; /* smallest lag of any stretch, 48 kHz samples */
	int64_t delay_max_samples; /* largest */
	double delay_min_ms;   /* the same two in milliseconds */
	double delay_max_ms;
	size_t frames_used;    /* STOI: 10 kHz STFT frames left after silence removal */
	size_t lsd_frames;     /* LSD: 20 ms frames averaged */
	size_t overlap;        /* samples (48 kHz) of DEG compared after alignment */
	const char *reason;    /* on -EINVAL: why, a static string; else NULL */
};

enum vx_quality_align {
	VX_QUALITY_ALIGN_PIECEWISE, /* the default: global, then piece by piece */
	VX_QUALITY_ALIGN_GLOBAL,    /* one lag for the whole file (to compare methods) */
};

struct vx_quality_ctx;

/**
 * vx_quality_ctx_create() - allocate buffers and the fixed-size FFT plans (STOI's
 * 512-point and LSD's 960-point transforms, FFTW_ESTIMATE: deterministic, fast).
 * @out: set to the new context on success.
 *
 * Context: not real-time (allocates, plans); one thread at a time (FFTW planner).
 * Return: 0 or -ENOMEM.
 */
int vx_quality_ctx_create(struct vx_quality_ctx **out) __attribute__((warn_unused_result));

/** vx_quality_ctx_destroy() - free a context; NULL is accepted. */
void vx_quality_ctx_destroy(struct vx_quality_ctx *q);

/**
 * vx_quality_ctx_set_align() - choose the alignment of later compares.
 * @q:     from vx_quality_ctx_create().
 * @align: VX_QUALITY_ALIGN_PIECEWISE (the default) or VX_QUALITY_ALIGN_GLOBAL.
 *
 * Context: any thread that owns @q.
 */
void vx_quality_ctx_set_align(struct vx_quality_ctx *q, enum vx_quality_align align);

/**
 * vx_quality_ctx_compare() - align DEG to REF, then score it: STOI and LSD.
 * @q:    from vx_quality_ctx_create().
 * @ref:  reference, @nref samples, 48 kHz mono.
 * @nref: its length.
 * @deg:  degraded signal, @ndeg samples, 48 kHz mono.
 * @ndeg: its length.
 * @out:  the scores; on -EINVAL, out->reason says why.
 *
 * Context: not real-time (allocates about 26 bytes per input sample, plans FFTs);
 * one thread at a time (FFTW planner).
 * Return: 0; -EINVAL if an input is empty or shorter than VX_QUALITY_MIN_SAMPLES,
 * the reference is silent, or fewer than VX_QUALITY_STOI_N frames of speech
 * overlap after alignment; -ENOMEM.
 */
int vx_quality_ctx_compare(struct vx_quality_ctx *q, const int16_t *ref, size_t nref,
			   const int16_t *deg, size_t ndeg, struct vx_quality *out)
	__attribute__((warn_unused_result));

/**
 * vx_quality_compare() - vx_quality_ctx_compare() with a context of its own.
 * @ref:  reference, 48 kHz mono.
 * @nref: its length in samples.
 * @deg:  degraded signal, 48 kHz mono.
 * @ndeg: its length in samples.
 * @out:  the scores; on -EINVAL, out->reason says why.
 *
 * Context: not real-time; one thread at a time (FFTW planner).
 * Return: as vx_quality_ctx_compare().
 */
int vx_quality_compare(const int16_t *ref, size_t nref, const int16_t *deg, size_t ndeg,
		       struct vx_quality *out) __attribute__((warn_unused_result));

#endif
